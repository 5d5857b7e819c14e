//! `--shard K/N`: N jobs together run every check exactly once, a suite's shard depends on its
//! name only (adding a suite moves no other), and each shard's JUnit says which shard it is.

use crate::support::*;
use std::collections::BTreeSet;

fn suite(name: &str) -> Suite {
    Suite::new(name).yaml(&format!(
        r#"
        name: {name}
        base_url: ${{{{ env.BASE_URL }}}}
        checks:
          - name: first of {name}
            request: GET /health
          - name: second of {name}
            request: GET /health
        "#
    ))
}

const NAMES: [&str; 8] = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"];

/// `(suite, check)` pairs that `list` prints.
fn listed(done: &Done) -> Vec<String> {
    done.stdout
        .lines()
        .filter(|l| l.starts_with("  "))
        .map(|l| l.split("  ").nth(2).unwrap_or("").to_string())
        .collect()
}

fn list(names: &[&str], shard: Option<&str>) -> Done {
    let mut run = Run::list().env("BASE_URL", "http://127.0.0.1:9");
    for n in names {
        run = run.suite(&suite(n));
    }
    if let Some(s) = shard {
        run = run.args(["--shard", s]);
    }
    let done = run.run();
    done.assert_exit(0);
    done
}

#[test]
fn shards_partition_the_checks_and_adding_a_suite_moves_no_other() {
    let all: BTreeSet<String> = listed(&list(&NAMES, None)).into_iter().collect();
    assert_eq!(all.len(), 16);
    let mut seen = Vec::new();
    let mut before = Vec::new();
    for k in 1..=3 {
        let mine = listed(&list(&NAMES, Some(&format!("{k}/3"))));
        before.push(mine.clone());
        seen.extend(mine);
    }
    let union: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(seen.len(), 16, "a check is in two shards: {seen:?}");
    assert_eq!(union, all);

    // One more suite: every check that was in shard k still is.
    let more: Vec<&str> = NAMES.iter().copied().chain(["india"]).collect();
    for k in 1..=3 {
        let now: BTreeSet<String> = listed(&list(&more, Some(&format!("{k}/3")))).into_iter().collect();
        for c in &before[k - 1] {
            assert!(now.contains(c), "`{c}` left shard {k}/3 when a suite was added");
        }
    }
}

#[test]
fn each_shard_runs_its_checks_once_and_names_itself_in_the_junit() {
    let fx = app();
    let mut ran = Vec::new();
    for k in 1..=3 {
        let mut run = Run::new().target(&fx).args(["--shard", &format!("{k}/3")]);
        for n in NAMES {
            run = run.suite(&suite(n));
        }
        let done = run.run();
        done.assert_exit(0);
        assert_eq!(done.junit().attr("name"), Some(format!("shakedown (shard {k}/3)").as_str()));
        ran.extend(done.case_names());
    }
    ran.sort();
    let unique: BTreeSet<&String> = ran.iter().collect();
    assert_eq!(ran.len(), 16, "{ran:?}");
    assert_eq!(unique.len(), 16);
}

#[test]
fn a_shard_with_no_suite_passes_and_says_so() {
    let fx = app();
    // With one suite and many shards, most shards are empty; find one.
    let empty = (1..=8)
        .find(|k| {
            let d = Run::list()
                .suite(&suite("alpha"))
                .env("BASE_URL", "http://127.0.0.1:9")
                .args(["--shard", &format!("{k}/8")])
                .run();
            listed(&d).is_empty()
        })
        .expect("an empty shard of 8");
    let done = Run::new().suite(&suite("alpha")).target(&fx).args(["--shard", &format!("{empty}/8")]).run();
    done.assert_exit(0);
    done.assert_stderr_has(&format!("shard {empty}/8 holds none of the suites"));
}

#[test]
fn a_bad_shard_is_a_usage_error() {
    for bad in ["0/3", "4/3", "3", "a/b", "1/0", "1/2000"] {
        let done =
            Run::list().suite(&suite("alpha")).env("BASE_URL", "http://127.0.0.1:9").args(["--shard", bad]).run();
        done.assert_exit(2);
        assert!(done.stderr.contains("--shard"), "{bad}: {}", done.stderr);
    }
}
