//! Browser checks over WebDriver. (Filled in by the browser work; the types are here so the
//! suite model and the runner already have a place for them.)

/// Suite-level browser settings.
#[derive(Clone, Debug, Default)]
pub struct BrowserOptions {}

/// One browser step.
#[derive(Debug)]
pub enum BrowserAction {}

/// An assertion judged on a page.
#[derive(Debug)]
pub enum BrowserAssert {}

/// A value captured from a page.
#[derive(Debug)]
pub enum BrowserCapture {}
