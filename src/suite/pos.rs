//! Where something is in a suite file: every item of the model keeps one, so a failure can
//! point at the line that asked for it.

/// A 1-based line and column in a suite file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

impl Pos {
    pub const fn new(line: u32, col: u32) -> Self {
        Pos { line, col }
    }
}
