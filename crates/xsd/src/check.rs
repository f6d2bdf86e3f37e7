//! Walks a document against a compiled [`Schema`]: content models, attributes and values.
//! The walk uses an explicit stack, so nesting depth costs heap, never call-stack.

use std::collections::HashSet;

use roxmltree::{Document, Node};

use crate::Violation;
use crate::model::{
    ComplexType, Content, ElemId, Particle, Process, Schema, Term, TypeRef, Wildcard,
};
use crate::simple::{Builtin, shorten};

/// The XML Schema instance namespace (`xsi:`).
const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// At most this many violations are reported per document; the last one says so.
pub(crate) const MAX_VIOLATIONS: usize = 200;

/// Pending work on the explicit stack.
enum Work<'a, 'i> {
    /// Validate against a known declaration.
    Strict(Node<'a, 'i>, ElemId),
    /// Validate if a global declaration exists; otherwise look at the children laxly.
    Lax(Node<'a, 'i>),
}

pub(crate) struct Checker<'s, 'a, 'i> {
    schema: &'s Schema,
    doc: &'a Document<'i>,
    out: Vec<Violation>,
    /// `xs:ID` values seen so far; each may occur once per document.
    ids: HashSet<&'a str>,
}

impl<'s, 'a, 'i> Checker<'s, 'a, 'i> {
    pub(crate) fn new(schema: &'s Schema, doc: &'a Document<'i>) -> Self {
        Self {
            schema,
            doc,
            out: Vec::new(),
            ids: HashSet::new(),
        }
    }

    pub(crate) fn finish(self) -> Vec<Violation> {
        self.out
    }

    pub(crate) fn report(&mut self, node: Node<'a, 'i>, message: String) {
        if self.out.len() == MAX_VIOLATIONS {
            self.out.push(Violation {
                message: format!(
                    "more than {MAX_VIOLATIONS} structure errors; the rest are not listed (fix the ones above first)"
                ),
                location: xpath(node),
                line: line_of(self.doc, node),
            });
        }
        if self.out.len() >= MAX_VIOLATIONS {
            return;
        }
        self.out.push(Violation {
            message,
            location: xpath(node),
            line: line_of(self.doc, node),
        });
    }

    /// Validates `root` (already known to match) against `decl` and everything below it.
    pub(crate) fn run(&mut self, root: Node<'a, 'i>, decl: ElemId) {
        let mut stack = vec![Work::Strict(root, decl)];
        while let Some(w) = stack.pop() {
            if self.out.len() > MAX_VIOLATIONS {
                break;
            }
            match w {
                Work::Strict(node, id) => self.element(node, id, &mut stack),
                Work::Lax(node) => {
                    let ns = node.tag_name().namespace().unwrap_or("");
                    match self.schema.global(ns, node.tag_name().name()) {
                        Some(id) => self.element(node, id, &mut stack),
                        None => {
                            let kids: Vec<_> = node.children().filter(Node::is_element).collect();
                            stack.extend(kids.into_iter().rev().map(Work::Lax));
                        }
                    }
                }
            }
        }
    }

    fn element(&mut self, node: Node<'a, 'i>, id: ElemId, stack: &mut Vec<Work<'a, 'i>>) {
        let schema = self.schema;
        let Some(decl) = schema.element(id) else {
            return;
        };
        let name = Name(node);
        let nil = match node.attribute((XSI, "nil")).map(str::trim) {
            None => false,
            Some(v @ ("true" | "1" | "false" | "0")) => {
                if !decl.nillable {
                    self.report(
                        node,
                        format!("{name} must not carry xsi:nil; remove the attribute"),
                    );
                }
                decl.nillable && matches!(v, "true" | "1")
            }
            Some(v) => {
                self.report(
                    node,
                    format!(
                        "xsi:nil on {name} must be true or false, not '{}'",
                        shorten(v)
                    ),
                );
                false
            }
        };
        let ty = match node.attribute((XSI, "type")) {
            None => decl.ty,
            Some(v) => match self.xsi_type(node, v, decl.ty) {
                Ok(t) => t,
                Err(why) => {
                    self.report(node, format!("xsi:type on {name} {why}"));
                    return;
                }
            },
        };
        match ty {
            TypeRef::Simple(sid) => {
                for a in node.attributes() {
                    if a.namespace() == Some(XSI) {
                        self.xsi_attr(node, name, a.name());
                    } else {
                        self.report(
                            node,
                            format!(
                                "attribute {} is not allowed on {name}; remove it",
                                attr_name(node, &a)
                            ),
                        );
                    }
                }
                if nil {
                    self.expect_nil_empty(node, name);
                    return;
                }
                self.text_only(node, name, sid);
            }
            TypeRef::Complex(cid) => {
                let Some(ct) = schema.complex_type(cid) else {
                    return;
                };
                if ct.is_abstract {
                    self.report(
                        node,
                        format!(
                            "{name} has the abstract type {}, which cannot be used directly",
                            ct.name
                        ),
                    );
                    return;
                }
                self.attributes(node, name, ct);
                if nil {
                    self.expect_nil_empty(node, name);
                    return;
                }
                match &ct.content {
                    Content::Empty => {
                        if node.children().any(|c| c.is_element()) || (!ct.mixed && has_text(node))
                        {
                            self.report(node, format!("{name} must be empty; remove its content"));
                        }
                    }
                    Content::Simple(sid) => self.text_only(node, name, *sid),
                    Content::Elements(p) => self.children(node, name, ct, p, stack),
                }
            }
        }
    }

    /// The type an `xsi:type` value names, if it is the declared type or derived from it.
    fn xsi_type(
        &self,
        node: Node<'a, 'i>,
        value: &str,
        declared: TypeRef,
    ) -> Result<TypeRef, String> {
        let value = value.trim_matches([' ', '\t', '\n', '\r']);
        let (prefix, local) = match value.split_once(':') {
            Some((p, l)) => (Some(p), l),
            None => (None, value),
        };
        let Some(ns) = node
            .lookup_namespace_uri(prefix)
            .or(prefix.map_or(Some(""), |_| None))
        else {
            return Err(format!(
                "uses the undeclared prefix in '{}'; declare it or remove xsi:type",
                shorten(value)
            ));
        };
        let Some(ty) = self
            .schema
            .types
            .get(&(ns.to_owned(), local.to_owned()))
            .copied()
        else {
            return Err(format!(
                "names the type '{}', which the schema does not define; remove xsi:type",
                shorten(value)
            ));
        };
        if self.schema.derives_from(ty, declared) {
            Ok(ty)
        } else {
            Err(format!(
                "names the type '{}', which is not derived from the element's declared type; remove xsi:type",
                shorten(value)
            ))
        }
    }

    fn expect_nil_empty(&mut self, node: Node<'a, 'i>, name: Name<'_, '_>) {
        if node
            .children()
            .any(|c| c.is_element() || (c.is_text() && !c.text().unwrap_or("").is_empty()))
        {
            self.report(node, format!("{name} has xsi:nil=\"true\" and so must be empty; remove its content or the attribute"));
        }
    }

    fn xsi_attr(&mut self, node: Node<'a, 'i>, name: Name<'_, '_>, local: &str) {
        match local {
            "nil" | "schemaLocation" | "noNamespaceSchemaLocation" => {}
            "type" => {}
            other => self.report(
                node,
                format!("attribute xsi:{other} is not allowed on {name}; remove it"),
            ),
        }
    }

    fn text_only(&mut self, node: Node<'a, 'i>, name: Name<'_, '_>, sid: crate::model::SimpleId) {
        if let Some(child) = node.children().find(Node::is_element) {
            self.report(
                child,
                format!(
                    "{name} may contain only text, not the element {}; remove it",
                    qname(child)
                ),
            );
            return;
        }
        let mut texts = node
            .children()
            .filter(Node::is_text)
            .filter_map(|t| t.text());
        let first = texts.next().unwrap_or("");
        let text: std::borrow::Cow<'_, str> = match texts.next() {
            None => first.into(),
            Some(second) => {
                let mut all = format!("{first}{second}");
                all.extend(texts);
                all.into()
            }
        };
        if let Some(st) = self.schema.simple_type(sid)
            && let Err(why) = st.check(&text)
        {
            self.report(node, format!("the value of {name} is invalid: {why}"));
        }
    }

    fn attributes(&mut self, node: Node<'a, 'i>, name: Name<'_, '_>, ct: &ComplexType) {
        for a in node.attributes() {
            let ns = a.namespace().unwrap_or("");
            if ns == XSI {
                self.xsi_attr(node, name, a.name());
                continue;
            }
            if let Some(u) = ct.attrs.iter().find(|u| u.local == a.name() && u.ns == ns) {
                let Some(st) = self.schema.simple_type(u.ty) else {
                    continue;
                };
                if let Err(why) = st.check(a.value()) {
                    self.report(
                        node,
                        format!(
                            "attribute {} of {name} is invalid: {why}",
                            attr_name(node, &a)
                        ),
                    );
                } else if st.builtin == Builtin::Id
                    && !self
                        .ids
                        .insert(a.value().trim_matches([' ', '\t', '\n', '\r']))
                {
                    self.report(
                        node,
                        format!(
                            "attribute {} of {name} repeats the identifier '{}', which is already used in this document; identifiers (xs:ID) must be unique",
                            attr_name(node, &a),
                            shorten(a.value())
                        ),
                    );
                } else if let Some(fixed) = &u.fixed
                    && !st.same_value(a.value(), fixed)
                {
                    self.report(
                        node,
                        format!(
                            "attribute {} of {name} must be '{fixed}' (fixed by the schema), not '{}'",
                            attr_name(node, &a),
                            shorten(a.value())
                        ),
                    );
                }
                continue;
            }
            match &ct.any_attr {
                Some(w) if w.allows(ns) => {
                    if w.process == Process::Strict {
                        self.report(
                            node,
                            format!(
                                "attribute {} on {name} has no declaration, which the schema demands; remove it",
                                attr_name(node, &a)
                            ),
                        );
                    }
                }
                _ => self.report(
                    node,
                    format!(
                        "attribute {} is not allowed on {name}; remove it",
                        attr_name(node, &a)
                    ),
                ),
            }
        }
        for u in ct.attrs.iter().filter(|u| u.required) {
            let present = node
                .attributes()
                .any(|a| a.name() == u.local && a.namespace().unwrap_or("") == u.ns);
            if !present {
                self.report(
                    node,
                    format!(
                        "{name} is missing the required attribute {}; add it",
                        u.local
                    ),
                );
            }
        }
    }

    fn children(
        &mut self,
        node: Node<'a, 'i>,
        name: Name<'_, '_>,
        ct: &ComplexType,
        p: &Particle,
        stack: &mut Vec<Work<'a, 'i>>,
    ) {
        let mut kids: Vec<Node<'a, 'i>> = Vec::new();
        let mut text = false;
        for c in node.children() {
            if c.is_element() {
                kids.push(c);
            } else if !ct.mixed && !text && c.is_text() {
                text = c.text().is_some_and(|t| {
                    t.bytes()
                        .any(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
                });
            }
        }
        if text {
            self.report(
                node,
                format!("{name} may contain only child elements, not text; remove the text"),
            );
        }
        let mut m = Matcher {
            schema: self.schema,
            kids: &kids,
            assign: vec![None; kids.len()],
            fail_pos: 0,
            expected: Vec::new(),
            record: false,
        };
        let result = m.particle(p, 0);
        let (ok_until, problem) = match result {
            Ok(n) if n == kids.len() => (n, None),
            Ok(n) => (n, Some(n)),
            Err(f) => (f, Some(f)),
        };
        if let Some(at) = problem {
            // Match again, this time noting what was expected where (the fast path above
            // skips that bookkeeping; the matcher is deterministic, so the result is the same).
            m.record = true;
            m.fail_pos = 0;
            let _ = m.particle(p, 0);
            let expected = if m.fail_pos == at {
                m.expected
                    .iter()
                    .map(|e| e.describe(self.schema, node))
                    .collect::<Vec<_>>()
            } else {
                Vec::new()
            };
            let list = if expected.is_empty() {
                String::new()
            } else {
                format!(" Expected here: {}.", expected.join(", "))
            };
            match kids.get(at) {
                Some(kid) => self.report(
                    *kid,
                    format!(
                        "{} is not allowed at this place in {name}.{list} Check the element's name, its order among its siblings and how often it occurs.",
                        qname(*kid)
                    ),
                ),
                None => self.report(
                    node,
                    format!("{name} is incomplete: a required child element is missing.{list} Add it in schema order."),
                ),
            }
        }
        // Pushed in reverse so that children are checked (and reported) in document order.
        let mut undeclared = Vec::new();
        for (k, a) in kids.iter().zip(m.assign).take(ok_until).rev() {
            match a {
                Some(Assign::Elem(id)) => stack.push(Work::Strict(*k, id)),
                Some(Assign::Wild(Process::Strict)) => {
                    let ns = k.tag_name().namespace().unwrap_or("");
                    match self.schema.global(ns, k.tag_name().name()) {
                        Some(id) => stack.push(Work::Strict(*k, id)),
                        None => undeclared.push(*k),
                    }
                }
                Some(Assign::Wild(Process::Lax)) => stack.push(Work::Lax(*k)),
                Some(Assign::Wild(Process::Skip)) | None => {}
            }
        }
        undeclared.reverse();
        for k in undeclared {
            self.report(
                k,
                format!("{} is not declared in the schema, which demands a declared element here; remove it", qname(k)),
            );
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Assign {
    Elem(ElemId),
    Wild(Process),
}

#[derive(Debug, Clone, Copy)]
enum Expect<'s> {
    Elem(ElemId),
    Any(&'s Wildcard),
}

impl Expect<'_> {
    fn describe(&self, schema: &Schema, scope: Node<'_, '_>) -> String {
        match self {
            Self::Elem(id) => schema
                .element(*id)
                .map(|d| prefixed(scope, &d.ns, &d.local))
                .unwrap_or_default(),
            Self::Any(w) => w.describe(),
        }
    }
}

impl PartialEq for Expect<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Elem(a), Self::Elem(b)) => a == b,
            (Self::Any(a), Self::Any(b)) => std::ptr::eq(*a, *b),
            _ => false,
        }
    }
}

/// Greedy matcher of a child list against a content model. The official schemas obey the
/// Unique Particle Attribution rule, so a greedy, non-backtracking match is exact for them.
struct Matcher<'s, 'k, 'a, 'i> {
    schema: &'s Schema,
    kids: &'k [Node<'a, 'i>],
    assign: Vec<Option<Assign>>,
    fail_pos: usize,
    expected: Vec<Expect<'s>>,
    /// Whether to note expectations (only needed to explain a failure).
    record: bool,
}

impl<'s> Matcher<'s, '_, '_, '_> {
    fn note(&mut self, pos: usize, e: Expect<'s>) {
        if !self.record {
            return;
        }
        if pos > self.fail_pos {
            self.fail_pos = pos;
            self.expected.clear();
        }
        if pos == self.fail_pos && !self.expected.contains(&e) {
            self.expected.push(e);
        }
    }

    fn particle(&mut self, p: &'s Particle, pos: usize) -> Result<usize, usize> {
        let mut count = 0u32;
        let mut cur = pos;
        while count < p.max {
            match self.term(&p.term, cur) {
                Ok(next) if next == cur => {
                    count = count.max(p.min);
                    break;
                }
                Ok(next) => {
                    cur = next;
                    count += 1;
                }
                Err(f) if f > cur => return Err(f),
                Err(_) => break,
            }
        }
        if count < p.min { Err(cur) } else { Ok(cur) }
    }

    fn term(&mut self, t: &'s Term, pos: usize) -> Result<usize, usize> {
        match t {
            Term::Element(id) => {
                let matched = match (self.kids.get(pos), self.schema.element(*id)) {
                    (Some(k), Some(d)) => {
                        k.tag_name().name() == d.local
                            && k.tag_name().namespace().unwrap_or("") == d.ns
                    }
                    _ => false,
                };
                if matched {
                    if let Some(slot) = self.assign.get_mut(pos) {
                        *slot = Some(Assign::Elem(*id));
                    }
                    Ok(pos + 1)
                } else {
                    self.note(pos, Expect::Elem(*id));
                    Err(pos)
                }
            }
            Term::Any(w) => {
                let matched = self
                    .kids
                    .get(pos)
                    .is_some_and(|k| w.allows(k.tag_name().namespace().unwrap_or("")));
                if matched {
                    if let Some(slot) = self.assign.get_mut(pos) {
                        *slot = Some(Assign::Wild(w.process));
                    }
                    Ok(pos + 1)
                } else {
                    self.note(pos, Expect::Any(w));
                    Err(pos)
                }
            }
            Term::Sequence(ps) => {
                let mut cur = pos;
                for p in ps {
                    cur = self.particle(p, cur)?;
                }
                Ok(cur)
            }
            Term::Choice(ps) => {
                let mut empty_ok = false;
                for p in ps {
                    match self.particle(p, pos) {
                        Ok(n) if n > pos => return Ok(n),
                        Ok(_) => empty_ok = true,
                        Err(f) if f > pos => return Err(f),
                        Err(_) => {}
                    }
                }
                if empty_ok { Ok(pos) } else { Err(pos) }
            }
        }
    }
}

fn has_text(node: Node<'_, '_>) -> bool {
    node.children().any(|c| {
        c.is_text()
            && c.text().is_some_and(|t| {
                t.bytes()
                    .any(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
            })
    })
}

/// `prefix:local` using the prefix in scope at `scope`, or `{ns}local` when there is none.
fn prefixed(scope: Node<'_, '_>, ns: &str, local: &str) -> String {
    if ns.is_empty() {
        return local.to_owned();
    }
    match scope.lookup_prefix(ns) {
        Some(p) if !p.is_empty() => format!("{p}:{local}"),
        Some(_) => local.to_owned(),
        None if scope.lookup_namespace_uri(None) == Some(ns) => local.to_owned(),
        None => format!("{{{ns}}}{local}"),
    }
}

/// The element's name as written (prefix:local).
pub(crate) fn qname(node: Node<'_, '_>) -> String {
    prefixed(
        node,
        node.tag_name().namespace().unwrap_or(""),
        node.tag_name().name(),
    )
}

fn attr_name(node: Node<'_, '_>, a: &roxmltree::Attribute<'_, '_>) -> String {
    prefixed(node, a.namespace().unwrap_or(""), a.name())
}

pub(crate) fn line_of(doc: &Document<'_>, node: Node<'_, '_>) -> u32 {
    doc.text_pos_at(node.range().start).row
}

/// An XPath to `node`: `/Invoice/cac:AccountingSupplierParty[1]/cbc:ID[1]`.
pub(crate) fn xpath(node: Node<'_, '_>) -> String {
    let mut parts = Vec::new();
    for anc in node.ancestors().filter(Node::is_element) {
        let name = qname(anc);
        if anc.parent_element().is_none() {
            parts.push(format!("/{name}"));
        } else {
            let mut idx = 1usize;
            let mut sib = anc.prev_sibling_element();
            while let Some(s) = sib {
                if s.tag_name() == anc.tag_name() {
                    idx += 1;
                }
                sib = s.prev_sibling_element();
            }
            parts.push(format!("/{name}[{idx}]"));
        }
    }
    parts.reverse();
    parts.concat()
}

/// An element's name for messages, formatted only when a message is actually written.
#[derive(Clone, Copy)]
struct Name<'a, 'i>(Node<'a, 'i>);

impl std::fmt::Display for Name<'_, '_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&qname(self.0))
    }
}
