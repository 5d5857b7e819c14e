//! Browser assertions: what the page shows, judged by the one judge, polled until it holds or
//! the wait is over.

use super::session::{Session, StepContext};
use super::{BrowserAssert, Subject};
use crate::judge;
use crate::result::{Problem, ProblemType};
use fantoccini::Locator;
use serde_json::Value as Json;
use std::fmt::Write as _;
use std::time::Duration;

impl Session {
    pub(super) async fn see(
        &self,
        asserts: &[BrowserAssert],
        wait: Duration,
        cx: &mut StepContext<'_>,
    ) -> Result<(), Problem> {
        let mut poll = crate::poll::Poll::new(wait);
        loop {
            let mut observed = Vec::with_capacity(asserts.len());
            for a in asserts {
                // An element that went stale mid-read (the page is changing) is "not yet".
                observed.push(match self.observe(&a.subject).await {
                    Ok(v) => v,
                    Err(p) if p.type_ == ProblemType::Element => None,
                    Err(p) => return Err(p),
                });
            }
            let verdict = judge::judge_page(asserts, &observed, cx.captures);
            if verdict.findings.is_empty() {
                for l in &verdict.log {
                    let _ = writeln!(cx.log, "{l}");
                }
                return Ok(());
            }
            if !poll.next().await {
                let mut p = Problem::findings(verdict.findings);
                p.waited = Some(wait);
                p.page = self.page_url().await;
                return Err(p);
            }
        }
    }

    /// The current value of what an assertion looks at; `None` when there is nothing.
    pub(super) async fn observe(&self, s: &Subject) -> Result<Option<Json>, Problem> {
        Ok(match s {
            Subject::Text(t) => match self.client_find_first(t).await? {
                Some(el) => Some(Json::String(judge::normalize_ws(&self.wd("text", el.text()).await?))),
                None => None,
            },
            Subject::Visible(t) => {
                let mut visible = false;
                for el in self.wd("find element", self.client.find_all(Self::locator(t))).await? {
                    if self.wd("is displayed", el.is_displayed()).await.unwrap_or(false) {
                        visible = true;
                        break;
                    }
                }
                Some(Json::Bool(visible))
            }
            Subject::Count(t) => {
                Some(Json::from(self.wd("find element", self.client.find_all(Self::locator(t))).await?.len()))
            }
            Subject::Attr(t, a) => match self.client_find_first(t).await? {
                Some(el) => self.wd("attribute", el.attr(a)).await?.map(Json::String),
                None => None,
            },
            Subject::PageText => {
                let body = self.wd("find element", self.client.find_all(Locator::Css("body"))).await?;
                match body.first() {
                    Some(b) => Some(Json::String(judge::normalize_ws(&self.wd("text", b.text()).await?))),
                    None => Some(Json::String(String::new())),
                }
            }
            Subject::Title => Some(Json::String(self.wd("title", self.client.title()).await?)),
            Subject::Url => Some(Json::String(self.wd("current url", self.client.current_url()).await?.to_string())),
        })
    }
}
