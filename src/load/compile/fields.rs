//! Reading one level of the suite: a mapping's keys, checked against what it allows, and
//! the scalars in it (strings, booleans, whole numbers, durations, lists of strings).

use super::Compiler;
use crate::load::diagnostic::suggest;
use crate::load::yaml::{Node, Pos, Value};
use std::time::Duration;

/// A mapping's entries by key, for one level of the suite.
pub(super) struct Fields<'n> {
    pub(super) entries: Vec<(&'n str, &'n Node, &'n Node)>,
}

impl<'n> Fields<'n> {
    pub(super) fn get(&self, key: &str) -> Option<&'n Node> {
        self.entries.iter().find(|(k, _, _)| *k == key).map(|(_, _, v)| *v)
    }
    pub(super) fn has(&self, key: &str) -> bool {
        self.get(key).is_some()
    }
    pub(super) fn key_pos(&self, key: &str) -> Option<Pos> {
        self.entries.iter().find(|(k, _, _)| *k == key).map(|(_, n, _)| n.pos)
    }
}

impl Compiler<'_> {
    /// The entries of a mapping, reporting unknown keys.
    pub(super) fn fields<'n>(&mut self, node: &'n Node, what: &str, allowed: &[&str]) -> Option<Fields<'n>> {
        let Value::Map(entries) = &node.value else {
            self.err(node.pos, format!("{what} must be a mapping, found {}", node.kind()));
            return None;
        };
        let mut out = Fields { entries: Vec::with_capacity(entries.len()) };
        // No key comes twice: the YAML reader refuses a mapping that gives one twice.
        for (k, v) in entries {
            let Some(key) = k.as_str() else {
                self.err(k.pos, format!("keys of {what} must be strings, found {}", k.kind()));
                continue;
            };
            if !allowed.is_empty() && !allowed.contains(&key) {
                let help = match suggest(key, allowed) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("{what} takes: {}", allowed.join(", ")),
                };
                self.err_help(k.pos, format!("unknown key `{key}` in {what}"), help);
                continue;
            }
            out.entries.push((key, k, v));
        }
        Some(out)
    }

    pub(super) fn string(&mut self, node: &Node, what: &str) -> Option<String> {
        match &node.value {
            Value::Str(s) => Some(s.clone()),
            _ => {
                self.err(node.pos, format!("{what} must be a string, found {}", node.kind()));
                None
            }
        }
    }

    pub(super) fn bool(&mut self, node: &Node, what: &str) -> Option<bool> {
        match node.value {
            Value::Bool(b) => Some(b),
            _ => {
                self.err(node.pos, format!("{what} must be true or false, found {}", node.kind()));
                None
            }
        }
    }

    pub(super) fn uint(&mut self, node: &Node, what: &str, max: u32) -> Option<u32> {
        match node.value {
            Value::Int(i) if (0..=i64::from(max)).contains(&i) => Some(i as u32),
            _ => {
                self.err(node.pos, format!("{what} must be a whole number from 0 to {max}"));
                None
            }
        }
    }

    pub(super) fn duration(&mut self, node: &Node, what: &str) -> Option<Duration> {
        let text = match &node.value {
            Value::Str(s) => s.clone(),
            Value::Int(_) | Value::Float(_) => node.scalar_text().unwrap_or_default(),
            _ => {
                self.err(node.pos, format!("{what} must be a duration such as `5s`, found {}", node.kind()));
                return None;
            }
        };
        crate::duration::parse_duration(&text).map_err(|e| self.err(node.pos, format!("{what}: {e}"))).ok()
    }

    pub(super) fn string_list(&mut self, node: &Node, what: &str) -> Vec<(String, Pos)> {
        match &node.value {
            Value::Seq(items) => {
                items.iter().filter_map(|i| self.string(i, &format!("each of {what}")).map(|s| (s, i.pos))).collect()
            }
            Value::Str(s) => vec![(s.clone(), node.pos)],
            _ => {
                self.err(node.pos, format!("{what} must be a list of strings, found {}", node.kind()));
                Vec::new()
            }
        }
    }
}
