//! The compiled form of a schema set: element declarations, types and content models,
//! held in flat vectors and addressed by index so that recursive schemas need no pointers.

use std::collections::HashMap;

use crate::simple::SimpleType;

/// Index of an element declaration in [`Schema::elements`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ElemId(pub(crate) usize);

/// Index of a complex type in [`Schema::complex`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ComplexId(pub(crate) usize);

/// Index of a simple type in [`Schema::simple`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct SimpleId(pub(crate) usize);

/// Upper bound meaning `maxOccurs="unbounded"`.
pub(crate) const UNBOUNDED: u32 = u32::MAX;

/// One compiled schema set (for example UBL 2.1 with all the modules it imports).
#[derive(Debug, Default)]
pub(crate) struct Schema {
    pub(crate) elements: Vec<ElemDecl>,
    pub(crate) complex: Vec<ComplexType>,
    pub(crate) simple: Vec<SimpleType>,
    /// Global element declarations by (namespace, local name); used for roots and lax wildcards.
    pub(crate) globals: HashMap<(String, String), ElemId>,
    /// Named types by (namespace, local name), for `xsi:type`.
    pub(crate) types: HashMap<(String, String), TypeRef>,
}

impl Schema {
    /// The global element declared as `{ns}local`, if any.
    pub(crate) fn global(&self, ns: &str, local: &str) -> Option<ElemId> {
        self.globals
            .get(&(ns.to_owned(), local.to_owned()))
            .copied()
    }

    /// Whether `ty` is `base` or derived from it (by extension or restriction).
    pub(crate) fn derives_from(&self, ty: TypeRef, base: TypeRef) -> bool {
        let mut cur = Some(ty);
        // The chain is finite (types are compiled before what derives from them); the bound
        // only guards against a compiler defect.
        for _ in 0..64 {
            match cur {
                Some(t) if t == base => return true,
                Some(TypeRef::Complex(c)) => cur = self.complex_type(c).and_then(|ct| ct.base),
                _ => return false,
            }
        }
        false
    }

    pub(crate) fn element(&self, id: ElemId) -> Option<&ElemDecl> {
        self.elements.get(id.0)
    }

    pub(crate) fn complex_type(&self, id: ComplexId) -> Option<&ComplexType> {
        self.complex.get(id.0)
    }

    pub(crate) fn simple_type(&self, id: SimpleId) -> Option<&SimpleType> {
        self.simple.get(id.0)
    }
}

/// An element declaration (global or local).
#[derive(Debug)]
pub(crate) struct ElemDecl {
    /// Namespace URI, empty for an unqualified local element.
    pub(crate) ns: String,
    pub(crate) local: String,
    pub(crate) ty: TypeRef,
    pub(crate) nillable: bool,
}

/// The type of an element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TypeRef {
    Simple(SimpleId),
    Complex(ComplexId),
}

/// A complex type after derivation has been flattened.
#[derive(Debug)]
pub(crate) struct ComplexType {
    /// Name for messages (`{ns}Name` or a description of an anonymous type).
    pub(crate) name: String,
    pub(crate) attrs: Vec<AttrUse>,
    pub(crate) any_attr: Option<Wildcard>,
    pub(crate) content: Content,
    pub(crate) mixed: bool,
    pub(crate) is_abstract: bool,
    /// The type this one is derived from, if any.
    pub(crate) base: Option<TypeRef>,
}

/// What a complex type allows between its tags.
#[derive(Debug)]
pub(crate) enum Content {
    /// No children and no text.
    Empty,
    /// Text of the given simple type, no child elements.
    Simple(SimpleId),
    /// Child elements per the content model.
    Elements(Particle),
}

/// An attribute use on a complex type.
#[derive(Debug, Clone)]
pub(crate) struct AttrUse {
    /// Namespace URI, empty for unqualified attributes.
    pub(crate) ns: String,
    pub(crate) local: String,
    pub(crate) ty: SimpleId,
    pub(crate) required: bool,
    pub(crate) fixed: Option<String>,
}

/// A term with its occurrence bounds.
#[derive(Debug, Clone)]
pub(crate) struct Particle {
    pub(crate) min: u32,
    /// [`UNBOUNDED`] for `maxOccurs="unbounded"`.
    pub(crate) max: u32,
    pub(crate) term: Term,
}

/// The thing a particle repeats.
#[derive(Debug, Clone)]
pub(crate) enum Term {
    Element(ElemId),
    Sequence(Vec<Particle>),
    Choice(Vec<Particle>),
    Any(Wildcard),
}

/// `xsd:any` / `xsd:anyAttribute`.
#[derive(Debug, Clone)]
pub(crate) struct Wildcard {
    pub(crate) ns: NsSet,
    pub(crate) process: Process,
}

impl Wildcard {
    /// Whether a name in namespace `ns` (empty = no namespace) is allowed.
    pub(crate) fn allows(&self, ns: &str) -> bool {
        match &self.ns {
            NsSet::Any => true,
            NsSet::Other(target) => !ns.is_empty() && ns != target,
            NsSet::List(list) => list.iter().any(|n| n == ns),
        }
    }

    /// The namespaces the wildcard admits, for messages.
    pub(crate) fn describe(&self) -> String {
        match &self.ns {
            NsSet::Any => "any element".to_owned(),
            NsSet::Other(target) => format!("an element from a namespace other than {target}"),
            NsSet::List(list) => format!("an element from namespace {}", list.join(" or ")),
        }
    }
}

/// Namespace constraint of a wildcard.
#[derive(Debug, Clone)]
pub(crate) enum NsSet {
    /// `##any`
    Any,
    /// `##other`: any namespace except the target namespace and no namespace.
    Other(String),
    /// An explicit list; the empty string stands for `##local`.
    List(Vec<String>),
}

/// `processContents` of a wildcard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Process {
    Strict,
    Lax,
    Skip,
}
