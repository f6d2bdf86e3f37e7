//! Compiles embedded XSD files into a [`Schema`]. Every construct is checked against a
//! closed list; anything not supported is an error, never silently ignored.

use std::collections::{HashMap, HashSet, VecDeque};

use roxmltree::{Document, Node, NodeId};

use crate::error::{Error, SchemaError};
use crate::model::{
    AttrUse, ComplexId, ComplexType, Content, ElemDecl, ElemId, NsSet, Particle, Process, Schema,
    SimpleId, Term, TypeRef, UNBOUNDED, Wildcard,
};
use crate::schemas;
use crate::simple::{Builtin, Facets, SimpleType};

/// The XML Schema namespace.
const XS: &str = "http://www.w3.org/2001/XMLSchema";

type QName = (String, String);

/// Compiles the schema set reachable (by import and include) from `roots`.
pub(crate) fn compile(roots: &[&str]) -> Result<Schema, Error> {
    compile_with(schemas::file, roots)
}

/// [`compile`] over any set of files (`lookup` maps a path to its text).
fn compile_with(lookup: fn(&str) -> Option<&'static str>, roots: &[&str]) -> Result<Schema, Error> {
    let docs = load(lookup, roots)?;
    let index = build_index(&docs)?;
    let mut c = Compiler {
        docs: &docs,
        index,
        out: Schema::default(),
        global_elems: HashMap::new(),
        named_complex: HashMap::new(),
        named_simple: HashMap::new(),
        builtins: HashMap::new(),
        any_type: None,
    };
    // Compile every global component, so that an unsupported construct anywhere in the
    // set fails here rather than when a document happens to reach it.
    let mut keys: Vec<(Kind, QName)> = c.index.keys().cloned().collect();
    keys.sort();
    for (kind, q) in keys {
        match kind {
            Kind::Element => {
                c.global_element(&q, None)?;
            }
            Kind::Complex => {
                let id = c.complex_named(&q)?;
                c.out.types.insert(q, TypeRef::Complex(id));
            }
            Kind::Simple => {
                let id = c.simple_named(&q)?;
                c.out.types.insert(q, TypeRef::Simple(id));
            }
        }
    }
    Ok(c.out)
}

/// One parsed schema document.
struct Loaded {
    path: String,
    doc: Document<'static>,
    tns: String,
    elem_qualified: bool,
    attr_qualified: bool,
}

fn err_at(file: &str, doc: &Document<'_>, node: Node<'_, '_>, msg: impl Into<String>) -> Error {
    let line = doc.text_pos_at(node.range().start).row;
    Error::Schema(SchemaError::new(file, line, msg))
}

fn load(lookup: fn(&str) -> Option<&'static str>, roots: &[&str]) -> Result<Vec<Loaded>, Error> {
    let mut out = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut queue: VecDeque<String> = roots.iter().map(|r| (*r).to_owned()).collect();
    while let Some(path) = queue.pop_front() {
        if !seen.insert(path.clone()) {
            continue;
        }
        let text = lookup(&path)
            .ok_or_else(|| Error::Schema(SchemaError::new(&path, 0, "file is not embedded")))?;
        // The embedded schema files are trusted; the xmldsig module carries an internal
        // DTD subset (declaring only its own namespace), so DTDs are allowed here only.
        let opts = roxmltree::ParsingOptions {
            allow_dtd: true,
            ..roxmltree::ParsingOptions::default()
        };
        let doc = Document::parse_with_options(text, opts)
            .map_err(|e| Error::Schema(SchemaError::new(&path, e.pos().row, e.to_string())))?;
        let root = doc.root_element();
        if !is_xs(root, "schema") {
            return Err(err_at(&path, &doc, root, "root element is not xsd:schema"));
        }
        check_attrs(
            &path,
            &doc,
            root,
            &[
                "targetNamespace",
                "elementFormDefault",
                "attributeFormDefault",
                "version",
                "id",
            ],
        )?;
        let tns = root.attribute("targetNamespace").unwrap_or("").to_owned();
        let elem_qualified = root.attribute("elementFormDefault") == Some("qualified");
        let attr_qualified = root.attribute("attributeFormDefault") == Some("qualified");
        for child in root.children().filter(Node::is_element) {
            if !(is_xs(child, "import") || is_xs(child, "include")) {
                continue;
            }
            let Some(loc) = child.attribute("schemaLocation") else {
                return Err(err_at(&path, &doc, child, "import without schemaLocation"));
            };
            queue.push_back(schemas::resolve(&path, loc));
        }
        out.push(Loaded {
            path,
            doc,
            tns,
            elem_qualified,
            attr_qualified,
        });
    }
    Ok(out)
}

fn is_xs(node: Node<'_, '_>, local: &str) -> bool {
    node.is_element() && node.tag_name().namespace() == Some(XS) && node.tag_name().name() == local
}

/// Refuses attributes on a schema element that are not in `allowed` (foreign-namespace
/// attributes are annotations and are ignored).
fn check_attrs(
    file: &str,
    doc: &Document<'_>,
    node: Node<'_, '_>,
    allowed: &[&str],
) -> Result<(), Error> {
    for a in node.attributes() {
        if a.namespace().is_some() {
            continue;
        }
        if !allowed.contains(&a.name()) {
            return Err(err_at(
                file,
                doc,
                node,
                format!(
                    "attribute {} on xsd:{} is not supported",
                    a.name(),
                    node.tag_name().name()
                ),
            ));
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Kind {
    Element,
    Complex,
    Simple,
}

type Index = HashMap<(Kind, QName), (usize, NodeId)>;

fn build_index(docs: &[Loaded]) -> Result<Index, Error> {
    let mut index = HashMap::new();
    for (i, d) in docs.iter().enumerate() {
        for child in d.doc.root_element().children().filter(Node::is_element) {
            if child.tag_name().namespace() != Some(XS) {
                return Err(err_at(&d.path, &d.doc, child, "unexpected non-XSD element"));
            }
            let kind = match child.tag_name().name() {
                "annotation" | "import" | "include" => continue,
                "element" => Kind::Element,
                "complexType" => Kind::Complex,
                "simpleType" => Kind::Simple,
                other => {
                    return Err(err_at(
                        &d.path,
                        &d.doc,
                        child,
                        format!("top-level xsd:{other} is not supported"),
                    ));
                }
            };
            let Some(name) = child.attribute("name") else {
                return Err(err_at(
                    &d.path,
                    &d.doc,
                    child,
                    "global component without a name",
                ));
            };
            index.insert((kind, (d.tns.clone(), name.to_owned())), (i, child.id()));
        }
    }
    Ok(index)
}

struct Compiler<'a> {
    docs: &'a [Loaded],
    index: Index,
    out: Schema,
    global_elems: HashMap<QName, ElemId>,
    named_complex: HashMap<QName, ComplexId>,
    named_simple: HashMap<QName, SimpleId>,
    builtins: HashMap<Builtin, SimpleId>,
    any_type: Option<ComplexId>,
}

/// A schema node together with the document it is in.
#[derive(Clone, Copy)]
struct At<'a> {
    d: &'a Loaded,
    n: Node<'a, 'static>,
}

impl<'a> At<'a> {
    fn err(&self, msg: impl Into<String>) -> Error {
        err_at(&self.d.path, &self.d.doc, self.n, msg)
    }

    fn with(&self, n: Node<'a, 'static>) -> Self {
        Self { d: self.d, n }
    }

    fn attrs(&self, allowed: &[&str]) -> Result<(), Error> {
        check_attrs(&self.d.path, &self.d.doc, self.n, allowed)
    }

    fn local(&self) -> &'a str {
        self.n.tag_name().name()
    }

    /// XSD children, without annotations; a non-XSD child is an error.
    fn children(&self) -> Result<Vec<Self>, Error> {
        let mut out = Vec::new();
        for c in self.n.children().filter(Node::is_element) {
            if c.tag_name().namespace() != Some(XS) {
                return Err(self.with(c).err("unexpected non-XSD element"));
            }
            if c.tag_name().name() != "annotation" {
                out.push(self.with(c));
            }
        }
        Ok(out)
    }

    /// Resolves a QName-valued attribute in the scope of this node.
    fn qname(&self, attr: &str) -> Result<Option<QName>, Error> {
        let Some(v) = self.n.attribute(attr) else {
            return Ok(None);
        };
        let (prefix, local) = match v.split_once(':') {
            Some((p, l)) => (Some(p), l),
            None => (None, v),
        };
        let ns = match self.n.lookup_namespace_uri(prefix) {
            Some(ns) => ns.to_owned(),
            None if prefix.is_none() => String::new(),
            None => return Err(self.err(format!("undeclared prefix in {attr}=\"{v}\""))),
        };
        Ok(Some((ns, local.to_owned())))
    }

    fn occurs(&self) -> Result<(u32, u32), Error> {
        let min = match self.n.attribute("minOccurs") {
            None => 1,
            Some(v) => v
                .trim()
                .parse()
                .map_err(|_| self.err(format!("bad minOccurs {v}")))?,
        };
        let max = match self.n.attribute("maxOccurs") {
            None => 1,
            Some(v) if v.trim() == "unbounded" => UNBOUNDED,
            Some(v) => v
                .trim()
                .parse()
                .map_err(|_| self.err(format!("bad maxOccurs {v}")))?,
        };
        if max < min {
            return Err(self.err("maxOccurs is less than minOccurs"));
        }
        Ok((min, max))
    }

    fn flag(&self, attr: &str) -> Result<bool, Error> {
        match self.n.attribute(attr).map(str::trim) {
            None | Some("false" | "0") => Ok(false),
            Some("true" | "1") => Ok(true),
            Some(v) => Err(self.err(format!("bad boolean {attr}=\"{v}\""))),
        }
    }
}

impl<'a> Compiler<'a> {
    fn lookup(&self, kind: Kind, q: &QName) -> Option<At<'a>> {
        let (i, id) = *self.index.get(&(kind, q.clone()))?;
        let d = self.docs.get(i)?;
        let n = d.doc.get_node(id)?;
        Some(At { d, n })
    }

    fn builtin(&mut self, b: Builtin) -> SimpleId {
        if let Some(id) = self.builtins.get(&b) {
            return *id;
        }
        let id = SimpleId(self.out.simple.len());
        self.out.simple.push(SimpleType::builtin(b));
        self.builtins.insert(b, id);
        id
    }

    fn any_type(&mut self) -> ComplexId {
        if let Some(id) = self.any_type {
            return id;
        }
        let lax = Wildcard {
            ns: NsSet::Any,
            process: Process::Lax,
        };
        let id = ComplexId(self.out.complex.len());
        self.out.complex.push(ComplexType {
            name: "xsd:anyType".to_owned(),
            attrs: Vec::new(),
            any_attr: Some(lax.clone()),
            content: Content::Elements(Particle {
                min: 0,
                max: UNBOUNDED,
                term: Term::Any(lax),
            }),
            mixed: true,
            is_abstract: false,
            base: None,
        });
        self.any_type = Some(id);
        id
    }

    fn type_ref(&mut self, at: At<'a>, q: &QName) -> Result<TypeRef, Error> {
        if q.0 == XS {
            if q.1 == "anyType" {
                return Ok(TypeRef::Complex(self.any_type()));
            }
            return match Builtin::from_name(&q.1) {
                Some(b) => Ok(TypeRef::Simple(self.builtin(b))),
                None => Err(at.err(format!("built-in type xsd:{} is not supported", q.1))),
            };
        }
        if self.index.contains_key(&(Kind::Complex, q.clone())) {
            return Ok(TypeRef::Complex(self.complex_named(q)?));
        }
        if self.index.contains_key(&(Kind::Simple, q.clone())) {
            return Ok(TypeRef::Simple(self.simple_named(q)?));
        }
        Err(at.err(format!("type {{{}}}{} is not declared", q.0, q.1)))
    }

    fn simple_ref(&mut self, at: At<'a>, q: &QName) -> Result<SimpleId, Error> {
        match self.type_ref(at, q)? {
            TypeRef::Simple(s) => Ok(s),
            TypeRef::Complex(_) => Err(at.err(format!("{} is not a simple type", q.1))),
        }
    }

    fn complex_ref(&mut self, at: At<'a>, q: &QName) -> Result<ComplexId, Error> {
        match self.type_ref(at, q)? {
            TypeRef::Complex(c) => Ok(c),
            TypeRef::Simple(_) => Err(at.err(format!("{} is not a complex type", q.1))),
        }
    }

    // ---- elements ----

    fn global_element(&mut self, q: &QName, from: Option<At<'a>>) -> Result<ElemId, Error> {
        if let Some(id) = self.global_elems.get(q) {
            return Ok(*id);
        }
        let Some(at) = self.lookup(Kind::Element, q) else {
            let msg = format!("element {{{}}}{} is not declared", q.0, q.1);
            return Err(match from {
                Some(f) => f.err(msg),
                None => Error::Schema(SchemaError::new("?", 0, msg)),
            });
        };
        let id = self.element_decl(at, true)?;
        Ok(id)
    }

    /// Compiles an `xsd:element` with a name (global or local).
    fn element_decl(&mut self, at: At<'a>, global: bool) -> Result<ElemId, Error> {
        at.attrs(&[
            "name",
            "type",
            "minOccurs",
            "maxOccurs",
            "nillable",
            "form",
            "id",
        ])?;
        let Some(name) = at.n.attribute("name") else {
            return Err(at.err("element without name or ref"));
        };
        let qualified = global
            || match at.n.attribute("form") {
                Some(f) => f == "qualified",
                None => at.d.elem_qualified,
            };
        let ns = if qualified {
            at.d.tns.clone()
        } else {
            String::new()
        };
        let placeholder = self.builtin(Builtin::AnySimpleType);
        let id = ElemId(self.out.elements.len());
        self.out.elements.push(ElemDecl {
            ns: ns.clone(),
            local: name.to_owned(),
            ty: TypeRef::Simple(placeholder),
            nillable: at.flag("nillable")?,
        });
        if global {
            self.global_elems.insert((ns.clone(), name.to_owned()), id);
            self.out.globals.insert((ns, name.to_owned()), id);
        }
        let children = at.children()?;
        let ty = match (at.qname("type")?, children.as_slice()) {
            (Some(q), []) => self.type_ref(at, &q)?,
            (None, [c]) if c.local() == "complexType" => {
                TypeRef::Complex(self.complex_anon(*c, format!("type of {name}"))?)
            }
            (None, [c]) if c.local() == "simpleType" => {
                TypeRef::Simple(self.simple_anon(*c, format!("type of {name}"))?)
            }
            (None, []) => TypeRef::Complex(self.any_type()),
            _ => return Err(at.err("unsupported content in xsd:element")),
        };
        if let Some(e) = self.out.elements.get_mut(id.0) {
            e.ty = ty;
        }
        Ok(id)
    }

    // ---- particles ----

    fn particle(&mut self, at: At<'a>) -> Result<Particle, Error> {
        match at.local() {
            "element" => {
                let (min, max) = at.occurs()?;
                let id = if let Some(q) = at.qname("ref")? {
                    at.attrs(&["ref", "minOccurs", "maxOccurs", "id"])?;
                    self.global_element(&q, Some(at))?
                } else {
                    self.element_decl(at, false)?
                };
                Ok(Particle {
                    min,
                    max,
                    term: Term::Element(id),
                })
            }
            "sequence" | "choice" => {
                at.attrs(&["minOccurs", "maxOccurs", "id"])?;
                let (min, max) = at.occurs()?;
                let mut parts = Vec::new();
                for c in at.children()? {
                    match c.local() {
                        "element" | "sequence" | "choice" | "any" => parts.push(self.particle(c)?),
                        other => {
                            return Err(c.err(format!(
                                "xsd:{other} inside a model group is not supported"
                            )));
                        }
                    }
                }
                let term = if at.local() == "sequence" {
                    Term::Sequence(parts)
                } else {
                    Term::Choice(parts)
                };
                Ok(Particle { min, max, term })
            }
            "any" => {
                at.attrs(&[
                    "namespace",
                    "processContents",
                    "minOccurs",
                    "maxOccurs",
                    "id",
                ])?;
                let (min, max) = at.occurs()?;
                Ok(Particle {
                    min,
                    max,
                    term: Term::Any(wildcard(at)?),
                })
            }
            other => Err(at.err(format!("xsd:{other} is not supported as a particle"))),
        }
    }

    // ---- complex types ----

    fn complex_named(&mut self, q: &QName) -> Result<ComplexId, Error> {
        if let Some(id) = self.named_complex.get(q) {
            return Ok(*id);
        }
        let Some(at) = self.lookup(Kind::Complex, q) else {
            return Err(Error::Schema(SchemaError::new(
                "?",
                0,
                format!("complex type {} not found", q.1),
            )));
        };
        let id = self.push_placeholder(q.1.clone());
        self.named_complex.insert(q.clone(), id);
        let ct = self.complex_body(at, q.1.clone())?;
        if let Some(slot) = self.out.complex.get_mut(id.0) {
            *slot = ct;
        }
        Ok(id)
    }

    fn complex_anon(&mut self, at: At<'a>, name: String) -> Result<ComplexId, Error> {
        let id = self.push_placeholder(name.clone());
        let ct = self.complex_body(at, name)?;
        if let Some(slot) = self.out.complex.get_mut(id.0) {
            *slot = ct;
        }
        Ok(id)
    }

    fn push_placeholder(&mut self, name: String) -> ComplexId {
        let id = ComplexId(self.out.complex.len());
        self.out.complex.push(ComplexType {
            name,
            attrs: Vec::new(),
            any_attr: None,
            content: Content::Empty,
            mixed: false,
            is_abstract: false,
            base: None,
        });
        id
    }

    fn complex_body(&mut self, at: At<'a>, name: String) -> Result<ComplexType, Error> {
        at.attrs(&["name", "mixed", "abstract", "id"])?;
        let mut ct = ComplexType {
            name,
            attrs: Vec::new(),
            any_attr: None,
            content: Content::Empty,
            mixed: at.flag("mixed")?,
            is_abstract: at.flag("abstract")?,
            base: None,
        };
        for c in at.children()? {
            match c.local() {
                "sequence" | "choice" => ct.content = Content::Elements(self.particle(c)?),
                "simpleContent" => self.simple_content(c, &mut ct)?,
                "complexContent" => self.complex_content(c, &mut ct)?,
                "attribute" | "anyAttribute" => self.attribute_into(c, &mut ct)?,
                other => {
                    return Err(c.err(format!("xsd:{other} in a complex type is not supported")));
                }
            }
        }
        Ok(ct)
    }

    fn attribute_into(&mut self, at: At<'a>, ct: &mut ComplexType) -> Result<(), Error> {
        if at.local() == "anyAttribute" {
            at.attrs(&["namespace", "processContents", "id"])?;
            ct.any_attr = Some(wildcard(at)?);
            return Ok(());
        }
        at.attrs(&["name", "type", "use", "fixed", "default", "form", "id"])?;
        let Some(name) = at.n.attribute("name") else {
            return Err(at.err("attribute references (ref=) are not supported"));
        };
        let qualified = match at.n.attribute("form") {
            Some(f) => f == "qualified",
            None => at.d.attr_qualified,
        };
        let ns = if qualified {
            at.d.tns.clone()
        } else {
            String::new()
        };
        let children = at.children()?;
        let ty = match (at.qname("type")?, children.as_slice()) {
            (Some(q), []) => self.simple_ref(at, &q)?,
            (None, [c]) if c.local() == "simpleType" => {
                self.simple_anon(*c, format!("type of @{name}"))?
            }
            (None, []) => self.builtin(Builtin::AnySimpleType),
            _ => return Err(at.err("unsupported content in xsd:attribute")),
        };
        let (required, prohibited) = match at.n.attribute("use").map(str::trim) {
            None | Some("optional") => (false, false),
            Some("required") => (true, false),
            Some("prohibited") => (false, true),
            Some(v) => return Err(at.err(format!("bad use=\"{v}\""))),
        };
        ct.attrs.retain(|a| !(a.ns == ns && a.local == name));
        if !prohibited {
            ct.attrs.push(AttrUse {
                ns,
                local: name.to_owned(),
                ty,
                required,
                fixed: at.n.attribute("fixed").map(str::to_owned),
            });
        }
        Ok(())
    }

    fn single_child(&self, at: At<'a>) -> Result<At<'a>, Error> {
        match at.children()?.as_slice() {
            [c] => Ok(*c),
            _ => Err(at.err("expected exactly one xsd:extension or xsd:restriction")),
        }
    }

    fn simple_content(&mut self, at: At<'a>, ct: &mut ComplexType) -> Result<(), Error> {
        at.attrs(&["id"])?;
        let d = self.single_child(at)?;
        d.attrs(&["base", "id"])?;
        let Some(base) = d.qname("base")? else {
            return Err(d.err("derivation without base"));
        };
        let base_ty = self.type_ref(d, &base)?;
        ct.base = Some(base_ty);
        let (mut value, attrs, any_attr) = match base_ty {
            TypeRef::Simple(s) => (s, Vec::new(), None),
            TypeRef::Complex(c) => {
                let Some(b) = self.out.complex_type(c) else {
                    return Err(d.err("base type missing"));
                };
                let Content::Simple(s) = b.content else {
                    return Err(d.err(format!("base {} has no simple content", base.1)));
                };
                (s, b.attrs.clone(), b.any_attr.clone())
            }
        };
        ct.attrs = attrs;
        ct.any_attr = any_attr;
        let mut facets = Facets::default();
        let mut has_facets = false;
        for c in d.children()? {
            match c.local() {
                "attribute" | "anyAttribute" => self.attribute_into(c, ct)?,
                _ if d.local() == "restriction" => {
                    self.facet(c, &mut facets, value)?;
                    has_facets = true;
                }
                other => {
                    return Err(c.err(format!("xsd:{other} in xsd:extension is not supported")));
                }
            }
        }
        match d.local() {
            "extension" => {}
            "restriction" => {
                if matches!(base_ty, TypeRef::Simple(_)) {
                    return Err(d.err("simpleContent restriction of a simple type"));
                }
                if has_facets {
                    let Some(base_simple) = self.out.simple_type(value).cloned() else {
                        return Err(d.err("base simple type missing"));
                    };
                    let mut st = base_simple;
                    st.name = format!("{} (restricted)", st.name);
                    st.layers.push(facets);
                    value = SimpleId(self.out.simple.len());
                    self.out.simple.push(st);
                }
            }
            other => {
                return Err(d.err(format!("xsd:{other} in xsd:simpleContent is not supported")));
            }
        }
        ct.content = Content::Simple(value);
        Ok(())
    }

    fn complex_content(&mut self, at: At<'a>, ct: &mut ComplexType) -> Result<(), Error> {
        at.attrs(&["id", "mixed"])?;
        if at.n.attribute("mixed").is_some() {
            ct.mixed = at.flag("mixed")?;
        }
        let d = self.single_child(at)?;
        d.attrs(&["base", "id"])?;
        let Some(base) = d.qname("base")? else {
            return Err(d.err("derivation without base"));
        };
        let base_id = self.complex_ref(d, &base)?;
        ct.base = Some(TypeRef::Complex(base_id));
        let Some(b) = self.out.complex_type(base_id) else {
            return Err(d.err("base type missing"));
        };
        let base_attrs = b.attrs.clone();
        let base_any = b.any_attr.clone();
        let base_particle = match &b.content {
            Content::Elements(p) => Some(p.clone()),
            Content::Empty => None,
            Content::Simple(_) => return Err(d.err("complexContent derived from simple content")),
        };
        ct.attrs = base_attrs;
        let mut own: Option<Particle> = None;
        for c in d.children()? {
            match c.local() {
                "sequence" | "choice" => own = Some(self.particle(c)?),
                "attribute" | "anyAttribute" => self.attribute_into(c, ct)?,
                other => {
                    return Err(c.err(format!("xsd:{other} in complexContent is not supported")));
                }
            }
        }
        match d.local() {
            "extension" => {
                if ct.any_attr.is_none() {
                    ct.any_attr = base_any;
                }
                ct.content = match (base_particle, own) {
                    (Some(b), Some(o)) => Content::Elements(Particle {
                        min: 1,
                        max: 1,
                        term: Term::Sequence(vec![b, o]),
                    }),
                    (Some(p), None) | (None, Some(p)) => Content::Elements(p),
                    (None, None) => Content::Empty,
                };
            }
            "restriction" => {
                ct.content = own.map_or(Content::Empty, Content::Elements);
            }
            other => return Err(d.err(format!("xsd:{other} in complexContent is not supported"))),
        }
        Ok(())
    }

    // ---- simple types ----

    fn simple_named(&mut self, q: &QName) -> Result<SimpleId, Error> {
        if let Some(id) = self.named_simple.get(q) {
            return Ok(*id);
        }
        let Some(at) = self.lookup(Kind::Simple, q) else {
            return Err(Error::Schema(SchemaError::new(
                "?",
                0,
                format!("simple type {} not found", q.1),
            )));
        };
        let id = self.simple_anon(at, q.1.clone())?;
        self.named_simple.insert(q.clone(), id);
        Ok(id)
    }

    fn simple_anon(&mut self, at: At<'a>, name: String) -> Result<SimpleId, Error> {
        at.attrs(&["name", "id"])?;
        let r = self.single_child(at)?;
        if r.local() != "restriction" {
            return Err(r.err(format!("xsd:{} simple types are not supported", r.local())));
        }
        r.attrs(&["base", "id"])?;
        let Some(base) = r.qname("base")? else {
            return Err(r.err("restriction without base (inline base types are not supported)"));
        };
        let base_id = self.simple_ref(r, &base)?;
        let mut facets = Facets::default();
        for c in r.children()? {
            self.facet(c, &mut facets, base_id)?;
        }
        let Some(mut st) = self.out.simple_type(base_id).cloned() else {
            return Err(r.err("base simple type missing"));
        };
        st.name = name;
        st.layers.push(facets);
        let id = SimpleId(self.out.simple.len());
        self.out.simple.push(st);
        Ok(id)
    }

    fn facet(&self, at: At<'a>, f: &mut Facets, base: SimpleId) -> Result<(), Error> {
        at.attrs(&["value", "id", "fixed"])?;
        let Some(value) = at.n.attribute("value") else {
            return Err(at.err("facet without value"));
        };
        let string_like = self
            .out
            .simple_type(base)
            .is_some_and(|s| s.builtin.is_string_like());
        let number = || -> Result<usize, Error> {
            if !string_like {
                return Err(at.err("length facets are only supported on string types"));
            }
            value
                .trim()
                .parse()
                .map_err(|_| at.err(format!("bad length {value}")))
        };
        match at.local() {
            "enumeration" => {
                if !string_like {
                    return Err(at.err("enumerations are only supported on string types"));
                }
                f.enumeration
                    .get_or_insert_with(Vec::new)
                    .push(value.to_owned());
            }
            "length" => f.length = Some(number()?),
            "minLength" => f.min_length = Some(number()?),
            "maxLength" => f.max_length = Some(number()?),
            other => return Err(at.err(format!("facet xsd:{other} is not supported"))),
        }
        Ok(())
    }
}

fn wildcard(at: At<'_>) -> Result<Wildcard, Error> {
    let ns = match at.n.attribute("namespace").map(str::trim) {
        None | Some("##any") => NsSet::Any,
        Some("##other") => NsSet::Other(at.d.tns.clone()),
        Some(list) => NsSet::List(
            list.split_whitespace()
                .map(|t| match t {
                    "##targetNamespace" => at.d.tns.clone(),
                    "##local" => String::new(),
                    other => other.to_owned(),
                })
                .collect(),
        ),
    };
    let process = match at.n.attribute("processContents").map(str::trim) {
        None | Some("strict") => Process::Strict,
        Some("lax") => Process::Lax,
        Some("skip") => Process::Skip,
        Some(v) => return Err(at.err(format!("bad processContents=\"{v}\""))),
    };
    Ok(Wildcard { ns, process })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = r#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:t" xmlns="urn:t" elementFormDefault="qualified">"#;

    fn one(body: &str) -> Result<Schema, Error> {
        // Leak is fine in a test: compile_with needs 'static text, like the embedded files.
        let text: &'static str = Box::leak(format!("{HEAD}{body}</xs:schema>").into_boxed_str());
        TEXT.with(|t| t.set(Some(text)));
        compile_with(
            |p| {
                if p == "t.xsd" {
                    TEXT.with(std::cell::Cell::get)
                } else {
                    None
                }
            },
            &["t.xsd"],
        )
    }

    thread_local! {
        static TEXT: std::cell::Cell<Option<&'static str>> = const { std::cell::Cell::new(None) };
    }

    #[test]
    fn supported_constructs_compile() {
        let s = one(r#"<xs:element name="r"><xs:complexType><xs:sequence>
            <xs:element name="a" type="xs:token" maxOccurs="unbounded"/>
            <xs:choice minOccurs="0"><xs:element name="b" type="xs:decimal"/><xs:any namespace="urn:other" processContents="lax"/></xs:choice>
            </xs:sequence><xs:attribute name="x" type="xs:date" use="required"/></xs:complexType></xs:element>"#)
        .unwrap();
        assert!(s.global("urn:t", "r").is_some());
    }

    #[test]
    fn unsupported_constructs_fail_loudly() {
        for body in [
            r#"<xs:simpleType name="p"><xs:restriction base="xs:string"><xs:pattern value="[A-Z]+"/></xs:restriction></xs:simpleType>"#,
            r#"<xs:simpleType name="l"><xs:list itemType="xs:token"/></xs:simpleType>"#,
            r#"<xs:simpleType name="u"><xs:union memberTypes="xs:token xs:date"/></xs:simpleType>"#,
            r#"<xs:group name="g"><xs:sequence/></xs:group>"#,
            r#"<xs:attributeGroup name="g"/>"#,
            r#"<xs:complexType name="c"><xs:all><xs:element name="a"/></xs:all></xs:complexType>"#,
            r#"<xs:element name="e" type="xs:gYear"/>"#,
            r#"<xs:element name="e" type="xs:string" fixed="x"/>"#,
            r#"<xs:element name="e" substitutionGroup="f"/>"#,
            r#"<xs:complexType name="c" block="extension"/>"#,
            r#"<xs:simpleType name="d"><xs:restriction base="xs:decimal"><xs:totalDigits value="5"/></xs:restriction></xs:simpleType>"#,
            r#"<xs:element name="e"><xs:complexType><xs:sequence><xs:element ref="missing"/></xs:sequence></xs:complexType></xs:element>"#,
            r#"<xs:complexType name="c"><xs:attribute ref="xml:lang"/></xs:complexType>"#,
        ] {
            let e = one(body)
                .err()
                .unwrap_or_else(|| panic!("accepted: {body}"));
            assert!(e.to_string().contains("t.xsd"), "{e}");
        }
    }
}
