//! The JUnit XML writer: quick-xml with quick-junit's elements, attribute order and indentation
//! (a test renders a run both ways and compares the bytes), written straight from the run's
//! results. quick-junit copies every text and strips ANSI escapes from it again, which was a
//! sixth of the instructions of a run of many small checks and most of the memory its report
//! took; our texts are already clean (`junit::plain`).

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use std::io::{Result, Write};

/// An XML document being written, indented by four spaces.
pub struct Xml<W: Write> {
    w: Writer<W>,
}

impl<W: Write> Xml<W> {
    /// Starts the document with its XML declaration.
    pub fn new(out: W) -> Result<Xml<W>> {
        let mut w = Writer::new_with_indent(out, b' ', 4);
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        Ok(Xml { w })
    }

    fn tag<'a>(name: &'a str, attrs: &[(&str, &str)]) -> BytesStart<'a> {
        let mut t = BytesStart::new(name);
        for a in attrs {
            t.push_attribute(*a);
        }
        t
    }

    /// `<name attrs…>`.
    pub fn start(&mut self, name: &str, attrs: &[(&str, &str)]) -> Result<()> {
        self.w.write_event(Event::Start(Self::tag(name, attrs)))
    }

    /// `<name attrs…/>`.
    pub fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) -> Result<()> {
        self.w.write_event(Event::Empty(Self::tag(name, attrs)))
    }

    /// `</name>`.
    pub fn end(&mut self, name: &str) -> Result<()> {
        self.w.write_event(Event::End(BytesEnd::new(name)))
    }

    /// Escaped text.
    pub fn text(&mut self, s: &str) -> Result<()> {
        self.w.write_event(Event::Text(BytesText::new(s)))
    }

    /// `<name>text</name>`.
    pub fn element(&mut self, name: &str, text: &str) -> Result<()> {
        self.start(name, &[])?;
        self.text(text)?;
        self.end(name)
    }

    /// Ends the document (with the final line break quick-junit writes).
    pub fn finish(mut self) -> Result<W> {
        self.w.write_event(Event::Eof)?;
        self.w.write_indent()?;
        Ok(self.w.into_inner())
    }
}
