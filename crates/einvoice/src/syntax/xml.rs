//! Bounded XML parsing on roxmltree, a reader helper that records which
//! elements were mapped, and a tiny escaping writer.

use std::cell::RefCell;

use roxmltree::{Document, Node, NodeId, ParsingOptions};

use crate::error::{Error, ValueError};
use crate::syntax::Warning;
use crate::types::{Amount, Date, Identifier, Percentage, Quantity, UnitPrice};

/// Largest accepted input, in bytes.
pub const MAX_INPUT_BYTES: usize = 20 * 1024 * 1024;
/// Largest accepted number of XML nodes (elements, texts, comments …).
pub const MAX_NODES: u32 = 2_000_000;
/// Deepest accepted element nesting.
pub const MAX_DEPTH: usize = 64;

/// Checks size and encoding, then parses with DTDs refused and the node count bounded, then checks depth.
pub(crate) fn parse(bytes: &[u8]) -> Result<Document<'_>, Error> {
    if bytes.len() > MAX_INPUT_BYTES {
        return Err(Error::Limit {
            what: "input size (bytes)",
            limit: MAX_INPUT_BYTES,
        });
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        Error::Xml(format!(
            "the input is not UTF-8 (invalid byte at offset {})",
            e.valid_up_to()
        ))
    })?;
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
        ..ParsingOptions::default()
    };
    let doc = Document::parse_with_options(text, options).map_err(|e| match e {
        roxmltree::Error::NodesLimitReached => Error::Limit {
            what: "XML node count",
            limit: MAX_NODES as usize,
        },
        roxmltree::Error::DtdDetected => {
            Error::Xml("the document has a DOCTYPE, which is refused".to_owned())
        }
        other => Error::Xml(other.to_string()),
    })?;
    // Nodes come in document order, so a parent's depth is known before its children's.
    let mut depth: Vec<u16> = Vec::with_capacity(doc.descendants().size_hint().0);
    for node in doc.descendants() {
        let d = node
            .parent()
            .and_then(|p| depth.get(p.id().get() as usize).copied())
            .map_or(0, |d| d.saturating_add(1));
        if usize::from(d) > MAX_DEPTH {
            return Err(Error::Limit {
                what: "element nesting depth",
                limit: MAX_DEPTH,
            });
        }
        depth.push(d);
    }
    Ok(doc)
}

/// Walks a document, marking each element it maps, and collects warnings.
pub(crate) struct Reader<'a, 'input> {
    doc: &'a Document<'input>,
    used: RefCell<Vec<bool>>,
    warnings: RefCell<Vec<Warning>>,
    prefixes: &'static [(&'static str, &'static str)],
}

impl<'a, 'input> Reader<'a, 'input> {
    pub(crate) fn new(
        doc: &'a Document<'input>,
        prefixes: &'static [(&'static str, &'static str)],
    ) -> Self {
        let count = doc.descendants().count() + 1;
        Self {
            doc,
            used: RefCell::new(vec![false; count]),
            warnings: RefCell::new(Vec::new()),
            prefixes,
        }
    }

    pub(crate) fn root(&self) -> Node<'a, 'input> {
        let root = self.doc.root_element();
        self.mark(root);
        root
    }

    fn mark(&self, node: Node<'a, 'input>) {
        if let Some(slot) = self.used.borrow_mut().get_mut(node.id().get() as usize) {
            *slot = true;
        }
    }

    fn is_used(&self, id: NodeId) -> bool {
        self.used
            .borrow()
            .get(id.get() as usize)
            .copied()
            .unwrap_or(false)
    }

    /// The first child element `ns:name`, marked as mapped.
    pub(crate) fn child(
        &self,
        node: Node<'a, 'input>,
        ns: &str,
        name: &str,
    ) -> Option<Node<'a, 'input>> {
        let found = node.children().find(|c| {
            c.is_element() && c.tag_name().name() == name && c.tag_name().namespace() == Some(ns)
        });
        if let Some(found) = found {
            self.mark(found);
        }
        found
    }

    /// Every child element `ns:name`, all marked as mapped.
    pub(crate) fn children(
        &self,
        node: Node<'a, 'input>,
        ns: &str,
        name: &str,
    ) -> Vec<Node<'a, 'input>> {
        let found: Vec<_> = node
            .children()
            .filter(|c| {
                c.is_element()
                    && c.tag_name().name() == name
                    && c.tag_name().namespace() == Some(ns)
            })
            .collect();
        for n in &found {
            self.mark(*n);
        }
        found
    }

    pub(crate) fn warn(&self, node: Node<'a, 'input>, message: impl Into<String>) {
        self.warnings.borrow_mut().push(Warning {
            path: self.xpath(node),
            message: message.into(),
        });
    }

    /// An XPath with prefixes and positions for repeated siblings.
    pub(crate) fn xpath(&self, node: Node<'a, 'input>) -> String {
        let mut steps = Vec::new();
        for n in node.ancestors().filter(Node::is_element) {
            let ns = n.tag_name().namespace().unwrap_or("");
            let prefix = self
                .prefixes
                .iter()
                .find(|(_, uri)| *uri == ns)
                .map_or("", |(p, _)| p);
            let name = n.tag_name().name();
            let same: Vec<_> = n
                .parent()
                .map(|p| {
                    p.children()
                        .filter(|c| c.is_element() && c.tag_name() == n.tag_name())
                        .collect()
                })
                .unwrap_or_default();
            let pos = same.iter().position(|c| *c == n).map_or(1, |p| p + 1);
            let step = if prefix.is_empty() {
                name.to_owned()
            } else {
                format!("{prefix}:{name}")
            };
            steps.push(if same.len() > 1 {
                format!("{step}[{pos}]")
            } else {
                step
            });
        }
        steps.reverse();
        format!("/{}", steps.join("/"))
    }

    /// Reports the outermost elements nobody mapped, and returns all warnings.
    pub(crate) fn finish(self) -> Vec<Warning> {
        let mut unmapped = Vec::new();
        for node in self.doc.descendants().filter(Node::is_element) {
            if self.is_used(node.id()) {
                continue;
            }
            let parent_used = node
                .parent()
                .is_none_or(|p| !p.is_element() || self.is_used(p.id()));
            if parent_used {
                unmapped.push(node);
            }
        }
        for node in unmapped {
            self.warn(
                node,
                "content not mapped to an EN 16931 business term; it is dropped on conversion",
            );
        }
        self.warnings.into_inner()
    }

    // ---- typed values ----

    /// The element's text, exactly as written (no trimming), or empty.
    pub(crate) fn text(&self, node: Node<'a, 'input>) -> String {
        node.text().map(str::to_owned).unwrap_or_default()
    }

    pub(crate) fn text_of(&self, node: Node<'a, 'input>, ns: &str, name: &str) -> Option<String> {
        self.child(node, ns, name).map(|n| self.text(n))
    }

    pub(crate) fn attr(&self, node: Node<'a, 'input>, name: &str) -> Option<String> {
        node.attribute(name).map(str::to_owned)
    }

    pub(crate) fn identifier(&self, node: Node<'a, 'input>, scheme_attr: &str) -> Identifier {
        Identifier {
            value: self.text(node),
            scheme: self.attr(node, scheme_attr),
        }
    }

    fn value_error(&self, node: Node<'a, 'input>, error: Error) -> Error {
        match error {
            Error::Value(source) => Error::AtPath {
                path: self.xpath(node),
                problem: source,
            },
            other => other,
        }
    }

    pub(crate) fn date(&self, node: Node<'a, 'input>) -> Result<Date, Error> {
        Date::parse(&self.text(node)).map_err(|e| self.value_error(node, e))
    }

    pub(crate) fn amount(&self, node: Node<'a, 'input>) -> Result<Amount, Error> {
        Amount::parse(&self.text(node)).map_err(|e| self.value_error(node, e))
    }

    pub(crate) fn price(&self, node: Node<'a, 'input>) -> Result<UnitPrice, Error> {
        UnitPrice::parse(&self.text(node)).map_err(|e| self.value_error(node, e))
    }

    pub(crate) fn quantity(&self, node: Node<'a, 'input>) -> Result<Quantity, Error> {
        Quantity::parse(&self.text(node)).map_err(|e| self.value_error(node, e))
    }

    pub(crate) fn percent(&self, node: Node<'a, 'input>) -> Result<Percentage, Error> {
        Percentage::parse(&self.text(node)).map_err(|e| self.value_error(node, e))
    }

    pub(crate) fn boolean(&self, node: Node<'a, 'input>) -> Result<bool, Error> {
        match self.text(node).trim() {
            "true" | "1" => Ok(true),
            "false" | "0" => Ok(false),
            other => Err(Error::AtPath {
                path: self.xpath(node),
                problem: ValueError::new("indicator", other, "true or false"),
            }),
        }
    }
}

/// A small XML writer: elements, attributes and escaped text, indented.
#[derive(Debug)]
pub(crate) struct Writer {
    out: String,
    stack: Vec<&'static str>,
    open_tag: bool,
    has_children: Vec<bool>,
}

fn escape_into(out: &mut String, text: &str, attr: bool) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attr => out.push_str("&quot;"),
            '\r' => out.push_str("&#13;"),
            '\n' if attr => out.push_str("&#10;"),
            '\t' if attr => out.push_str("&#9;"),
            '\n' | '\t' => out.push(c),
            // Not representable in XML 1.0: dropped.
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

impl Writer {
    pub(crate) fn new() -> Self {
        Self {
            out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
            stack: Vec::new(),
            open_tag: false,
            has_children: Vec::new(),
        }
    }

    fn close_open_tag(&mut self) {
        if self.open_tag {
            self.out.push('>');
            self.open_tag = false;
        }
    }

    fn indent(&mut self) {
        self.out.push('\n');
        for _ in 0..self.stack.len() {
            self.out.push_str("  ");
        }
    }

    /// Opens an element; attributes may follow until content is written.
    pub(crate) fn start(&mut self, name: &'static str) -> &mut Self {
        self.close_open_tag();
        if let Some(last) = self.has_children.last_mut() {
            *last = true;
        }
        if !self.stack.is_empty() {
            self.indent();
        }
        self.out.push('<');
        self.out.push_str(name);
        self.stack.push(name);
        self.has_children.push(false);
        self.open_tag = true;
        self
    }

    /// Adds an attribute to the element just opened.
    pub(crate) fn attr(&mut self, name: &str, value: &str) -> &mut Self {
        if self.open_tag {
            self.out.push(' ');
            self.out.push_str(name);
            self.out.push_str("=\"");
            escape_into(&mut self.out, value, true);
            self.out.push('"');
        }
        self
    }

    /// Adds an attribute when the value is present.
    pub(crate) fn opt_attr(&mut self, name: &str, value: Option<&str>) -> &mut Self {
        if let Some(value) = value {
            self.attr(name, value);
        }
        self
    }

    /// Closes the innermost element.
    pub(crate) fn end(&mut self) {
        let Some(name) = self.stack.pop() else { return };
        let had_children = self.has_children.pop().unwrap_or(false);
        if self.open_tag {
            self.out.push_str("/>");
            self.open_tag = false;
            return;
        }
        if had_children {
            self.indent();
        }
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    /// Writes text content into the element just opened and closes it.
    pub(crate) fn text_end(&mut self, text: &str) {
        self.close_open_tag();
        escape_into(&mut self.out, text, false);
        // Text-only element: close on the same line.
        if let Some(name) = self.stack.pop() {
            self.has_children.pop();
            self.out.push_str("</");
            self.out.push_str(name);
            self.out.push('>');
        }
    }

    /// `<name>text</name>`.
    pub(crate) fn leaf(&mut self, name: &'static str, text: &str) {
        self.start(name);
        self.text_end(text);
    }

    /// `<name>text</name>` when present.
    pub(crate) fn opt_leaf(&mut self, name: &'static str, text: Option<&str>) {
        if let Some(text) = text {
            self.leaf(name, text);
        }
    }

    pub(crate) fn finish(mut self) -> String {
        while !self.stack.is_empty() {
            self.end();
        }
        self.out.push('\n');
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_doctype_and_bounds_depth() {
        let xxe = br#"<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>"#;
        assert!(matches!(parse(xxe), Err(Error::Xml(_))));
        let deep = format!("{}{}", "<a>".repeat(10_000), "</a>".repeat(10_000));
        assert!(matches!(parse(deep.as_bytes()), Err(Error::Limit { .. })));
        assert!(matches!(parse(b"<a>\xff</a>"), Err(Error::Xml(_))));
        assert!(parse(b"<a><b/></a>").is_ok());
    }

    #[test]
    fn writer_escapes() {
        let mut w = Writer::new();
        w.start("a").attr("x", "\"<&");
        w.leaf("b", "1 < 2 & 3\r\n\u{1}");
        let out = w.finish();
        assert!(out.contains(r#"<a x="&quot;&lt;&amp;">"#));
        assert!(out.contains("<b>1 &lt; 2 &amp; 3&#13;\n</b>"));
        assert!(parse(out.as_bytes()).is_ok());
    }
}
