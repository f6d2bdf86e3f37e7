//! The compiled form of an XPath 2.0 expression: names resolved, variables bound to slots,
//! functions bound to built-ins or user functions, literal regular expressions compiled.

use std::sync::Arc;

use rust_decimal::Decimal;

use super::value::AtomicType;

/// An interned element or attribute name (index into the unit's name table).
pub(crate) type NameId = u32;

/// A compiled expression.
#[derive(Debug)]
pub(crate) enum Expr {
    /// A string literal.
    Str(Box<str>),
    /// An untyped literal (an XSLT variable given as text content).
    Untyped(Box<str>),
    /// An integer literal.
    Int(i64),
    /// A decimal literal.
    Dec(Decimal),
    /// A double literal.
    Dbl(f64),
    /// `(a, b, ...)`; `()` is the empty sequence.
    Seq(Vec<Self>),
    /// A variable reference.
    Var(VarRef),
    /// `.`
    ContextItem,
    /// `/`: the root of the tree containing the context node.
    Root,
    /// `start/step/step...`
    Path(Box<Self>, Vec<Step>),
    /// `primary[pred]...`
    Filter(Box<Self>, Vec<Self>),
    Or(Box<Self>, Box<Self>),
    And(Box<Self>, Box<Self>),
    /// General comparison `= != < <= > >=`.
    GenCmp(CmpOp, Box<Self>, Box<Self>),
    /// Value comparison `eq ne lt le gt ge`.
    ValCmp(CmpOp, Box<Self>, Box<Self>),
    /// `a to b`
    Range(Box<Self>, Box<Self>),
    Arith(ArithOp, Box<Self>, Box<Self>),
    Neg(Box<Self>),
    /// `a | b`
    Union(Box<Self>, Box<Self>),
    /// `e castable as T?`
    Castable(Box<Self>, AtomicType, bool),
    /// `e cast as T?`
    Cast(Box<Self>, AtomicType, bool),
    If(Box<Self>, Box<Self>, Box<Self>),
    /// `for $slot in seq return body`
    For(usize, Box<Self>, Box<Self>),
    /// `some|every $slot in seq satisfies body`
    Quant(bool, usize, Box<Self>, Box<Self>),
    /// A built-in function.
    Call(Fun, Vec<Self>),
    /// `matches`, `tokenize`, `replace` with a literal pattern compiled ahead.
    RegexCall(Fun, Vec<Self>, Option<Arc<regex::Regex>>),
    /// A user function (`xsl:function`), by index.
    UserCall(usize, Vec<Self>),
    /// A predicate known at compile time to be boolean and independent of position.
    Bool(Box<Self>),
}

/// Where a variable lives.
#[derive(Clone, Copy, Debug)]
pub(crate) enum VarRef {
    /// A global `xsl:param` / `xsl:variable`, evaluated lazily once per document.
    Global(usize),
    /// A rule's `let`, evaluated lazily once per rule firing.
    RuleLet(usize),
    /// A range variable or function parameter / local, by frame offset.
    Local(usize),
}

/// Comparison operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// Arithmetic operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    IDiv,
    Mod,
}

/// One step of a path.
#[derive(Debug)]
pub(crate) enum Step {
    /// `axis::test[pred]...`
    Axis(Axis, NodeTest, Vec<Expr>),
    /// Any other expression evaluated with each node as context, e.g. `xs:decimal(.)`.
    Filter(Expr, Vec<Expr>),
}

/// Axes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Axis {
    Child,
    Descendant,
    DescendantOrSelf,
    #[expect(
        clippy::enum_variant_names,
        reason = "`Self` is a keyword; this is XPath's self axis"
    )]
    SelfAxis,
    Parent,
    Ancestor,
    AncestorOrSelf,
    FollowingSibling,
    PrecedingSibling,
    Following,
    Preceding,
    Attribute,
    /// `descendant-or-self::node()/attribute::` fused: attributes of the subtree (`//@x`).
    SubtreeAttribute,
}

impl Axis {
    /// Reverse axes number their nodes from the context node backwards.
    pub(crate) fn is_reverse(self) -> bool {
        matches!(
            self,
            Self::Parent
                | Self::Ancestor
                | Self::AncestorOrSelf
                | Self::PrecedingSibling
                | Self::Preceding
        )
    }
}

/// Node tests.
#[derive(Debug)]
pub(crate) enum NodeTest {
    /// A QName, resolved: interned id, namespace URI ("" for none) and local name.
    Name(NameId, Box<str>, Box<str>),
    /// `prefix:*`
    NsWild(Box<str>),
    /// `*:local`
    LocalWild(Box<str>),
    /// `*`
    Any,
    /// `node()`
    Node,
    /// `text()`
    Text,
    /// `comment()`
    Comment,
    /// `processing-instruction()`
    Pi,
    /// `element()`
    Element,
    /// `attribute()`
    AttributeKind,
    /// `document-node()`
    Document,
}

/// Built-in functions (the XPath 2.0 functions the official rules use, and a few more).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fun {
    Not,
    True,
    False,
    Boolean,
    Exists,
    Empty,
    Count,
    NormalizeSpace,
    UpperCase,
    LowerCase,
    Substring,
    SubstringBefore,
    SubstringAfter,
    StringLength,
    Contains,
    StartsWith,
    EndsWith,
    Concat,
    StringJoin,
    Translate,
    StringFn,
    Number,
    Sum,
    Round,
    Abs,
    Floor,
    Ceiling,
    Min,
    Max,
    Avg,
    Matches,
    Tokenize,
    Replace,
    StringToCodepoints,
    CodepointsToString,
    Name,
    LocalName,
    NamespaceUri,
    Reverse,
    Last,
    Position,
    DistinctValues,
    Data,
    Root,
    /// XSLT `current()`: the node the rule fired on.
    Current,
    /// A constructor function `xs:T(arg)`.
    Construct(AtomicType),
}

impl Fun {
    /// Resolves a function in the standard namespace by local name and arity.
    pub(crate) fn lookup(local: &str, arity: usize) -> Option<Self> {
        let (f, min, max) = match local {
            "not" => (Self::Not, 1, 1),
            "true" => (Self::True, 0, 0),
            "false" => (Self::False, 0, 0),
            "boolean" => (Self::Boolean, 1, 1),
            "exists" => (Self::Exists, 1, 1),
            "empty" => (Self::Empty, 1, 1),
            "count" => (Self::Count, 1, 1),
            "normalize-space" => (Self::NormalizeSpace, 0, 1),
            "upper-case" => (Self::UpperCase, 1, 1),
            "lower-case" => (Self::LowerCase, 1, 1),
            "substring" => (Self::Substring, 2, 3),
            "substring-before" => (Self::SubstringBefore, 2, 2),
            "substring-after" => (Self::SubstringAfter, 2, 2),
            "string-length" => (Self::StringLength, 0, 1),
            "contains" => (Self::Contains, 2, 2),
            "starts-with" => (Self::StartsWith, 2, 2),
            "ends-with" => (Self::EndsWith, 2, 2),
            "concat" => (Self::Concat, 2, usize::MAX),
            "string-join" => (Self::StringJoin, 1, 2),
            "translate" => (Self::Translate, 3, 3),
            "string" => (Self::StringFn, 0, 1),
            "number" => (Self::Number, 0, 1),
            "sum" => (Self::Sum, 1, 2),
            "round" => (Self::Round, 1, 1),
            "abs" => (Self::Abs, 1, 1),
            "floor" => (Self::Floor, 1, 1),
            "ceiling" => (Self::Ceiling, 1, 1),
            "min" => (Self::Min, 1, 1),
            "max" => (Self::Max, 1, 1),
            "avg" => (Self::Avg, 1, 1),
            "matches" => (Self::Matches, 2, 2),
            "tokenize" => (Self::Tokenize, 2, 2),
            "replace" => (Self::Replace, 3, 3),
            "string-to-codepoints" => (Self::StringToCodepoints, 1, 1),
            "codepoints-to-string" => (Self::CodepointsToString, 1, 1),
            "name" => (Self::Name, 0, 1),
            "local-name" => (Self::LocalName, 0, 1),
            "namespace-uri" => (Self::NamespaceUri, 0, 1),
            "reverse" => (Self::Reverse, 1, 1),
            "last" => (Self::Last, 0, 0),
            "position" => (Self::Position, 0, 0),
            "distinct-values" => (Self::DistinctValues, 1, 1),
            "data" => (Self::Data, 1, 1),
            "root" => (Self::Root, 0, 1),
            "current" => (Self::Current, 0, 0),
            _ => return None,
        };
        (min..=max).contains(&arity).then_some(f)
    }
}
