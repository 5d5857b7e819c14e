//! Collects the event stream into suites and their cases, in the run's order, for the reports
//! that are written once the run is over.

use crate::event::{Event, SuiteInfo};
use crate::result::{CaseResult, RunSummary, Status, StepRetried};
use std::sync::Arc;
use std::time::Duration;

/// One suite file's results.
#[derive(Clone, Debug)]
pub struct SuiteResult {
    pub info: Arc<SuiteInfo>,
    pub duration: Duration,
    pub cases: Vec<Arc<CaseResult>>,
    pub setup_retried: Vec<StepRetried>,
}

impl SuiteResult {
    pub fn count(&self, status: Status) -> usize {
        self.cases.iter().filter(|c| c.status == status).count()
    }
}

/// What the events said so far.
#[derive(Debug, Default)]
pub struct Gathered {
    pub suites: Vec<SuiteResult>,
    pub summary: Option<RunSummary>,
}

impl Gathered {
    pub fn on_event(&mut self, event: &Event) {
        match event {
            Event::SuiteStarted { suite } => {
                self.suite(suite);
            }
            Event::CaseFinished { suite, case } => self.suite(suite).cases.push(case.clone()),
            Event::SuiteFinished { suite, duration, setup_retried } => {
                let s = self.suite(suite);
                s.duration = *duration;
                s.setup_retried = setup_retried.clone();
            }
            Event::RunFinished(summary) => self.summary = Some(*summary),
            Event::RunStarted { .. } | Event::Warning(_) | Event::Interrupting(_) => {}
        }
    }

    /// The suite's entry, made on first sight and kept in run order.
    fn suite(&mut self, info: &Arc<SuiteInfo>) -> &mut SuiteResult {
        let at = match self.suites.binary_search_by_key(&info.index, |s| s.info.index) {
            Ok(i) => i,
            Err(i) => {
                self.suites.insert(
                    i,
                    SuiteResult {
                        info: info.clone(),
                        duration: Duration::ZERO,
                        cases: Vec::new(),
                        setup_retried: Vec::new(),
                    },
                );
                i
            }
        };
        &mut self.suites[at]
    }
}
