//! Evaluation of compiled expressions over a roxmltree document.
//!
//! One [`Ev`] holds the per-document state: the name index used by `//name` steps, the
//! lazily evaluated global variables, the current rule's lazily evaluated `let`s, and
//! the local variable frames of `for`, quantifiers and user functions.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::rc::Rc;

use roxmltree::{Document, Node, NodeId, NodeType};
use rust_decimal::prelude::{FromPrimitive, ToPrimitive};
use rust_decimal::{Decimal, RoundingStrategy};

use super::XpError;
use super::ast::{ArithOp, Axis, CmpOp, Expr, Fun, NameId, NodeTest, Step, VarRef};
use super::parse::Names;
use super::regex::{translate_regex, translate_replacement};
use super::value::{Atomic, AtomicType, Item, Seq, Str, XNode, compare_dates, is_xml_space};

type R<T> = Result<T, XpError>;

/// Occurrence indicator of a sequence type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Occ {
    One,
    Opt,
    Star,
    Plus,
}

/// Item type of a sequence type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ItemType {
    Item,
    Node,
    Atomic(AtomicType),
}

/// A sequence type from an `as` attribute (`xs:decimal`, `xs:string?`, `node()*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SeqType {
    pub(crate) item: ItemType,
    pub(crate) occ: Occ,
}

impl SeqType {
    /// `item()*`: no conversion.
    pub(crate) const ANY: Self = Self {
        item: ItemType::Item,
        occ: Occ::Star,
    };
}

/// One instruction of a user function body.
#[derive(Debug)]
pub(crate) enum Instr {
    /// `xsl:variable`: evaluate into a local slot.
    Let(usize, Expr, SeqType),
    /// `xsl:variable` with instructions as content.
    LetBody(usize, Vec<Self>, SeqType),
    /// `xsl:sequence`: contributes to the result.
    Yield(Expr),
    /// `xsl:value-of`: contributes a text node (space-separated string values).
    Text(Expr),
    /// `xsl:choose`.
    Choose(Vec<(Expr, Vec<Self>)>, Vec<Self>),
}

/// A user function (`xsl:function`), executed from its official definition.
#[derive(Debug)]
pub(crate) struct UserFn {
    pub(crate) name: String,
    pub(crate) params: Vec<SeqType>,
    pub(crate) ret: SeqType,
    pub(crate) body: Vec<Instr>,
}

/// A global variable or parameter.
#[derive(Debug)]
pub(crate) struct Global {
    pub(crate) name: String,
    pub(crate) expr: Expr,
    pub(crate) ty: SeqType,
}

/// The compiled, shareable part of a rule set's XPath: names, globals, functions.
#[derive(Debug, Default)]
pub(crate) struct Program {
    pub(crate) names: Names,
    pub(crate) globals: Vec<Global>,
    pub(crate) functions: Vec<UserFn>,
}

/// Per-document name index: the interned name of each element and, per name, the
/// elements carrying it in document order.
#[derive(Debug)]
pub(crate) struct DocIndex {
    name_of: Vec<NameId>,
    /// Elements of each name in document order: `by_name_list[by_name_start[id]..
    /// by_name_start[id + 1]]`.
    by_name_start: Vec<u32>,
    by_name_list: Vec<u32>,
    subtree_end: Vec<u32>,
    /// (parent, child name, child) for every element child with an interned name, grouped
    /// by parent and sorted by name within a parent: `child::name` is a binary search in
    /// the parent's few entries.
    kids: Vec<(u32, NameId, u32)>,
    /// Where each node's entries start in `kids` (one more entry than nodes).
    kid_start: Vec<u32>,
}

impl DocIndex {
    /// Builds the index in two passes over the document, without sorting it as a whole.
    pub(crate) fn build(doc: &Document<'_>, names: &Names) -> Self {
        let nodes: Vec<Node<'_, '_>> = doc.descendants().collect();
        let n = nodes.len();
        let mut name_of = vec![NameId::MAX; n];
        let mut per_name = vec![0u32; names.len()];
        let mut per_parent = vec![0u32; n];
        // Elements mostly share a few namespaces: hash each namespace URI once per run of
        // elements in it (roxmltree hands out the same string for the same namespace).
        let mut last_ns: Option<(&str, Option<&crate::xpath::parse::LocalNames>)> = None;
        for node in &nodes {
            if !node.is_element() {
                continue;
            }
            let t = node.tag_name();
            let ns = t.namespace().unwrap_or("");
            let table = match last_ns {
                Some((prev, table)) if std::ptr::eq(prev, ns) => table,
                _ => {
                    let table = names.in_namespace(ns);
                    last_ns = Some((ns, table));
                    table
                }
            };
            let Some(id) = table.and_then(|m| m.get(t.name()).copied()) else {
                continue;
            };
            if let Some(slot) = name_of.get_mut(node.id().get_usize()) {
                *slot = id;
            }
            if let Some(c) = per_name.get_mut(id as usize) {
                *c += 1;
            }
            if let Some(c) = node
                .parent()
                .and_then(|p| per_parent.get_mut(p.id().get_usize()))
            {
                *c += 1;
            }
        }
        let by_name_start = prefix_sums(&per_name);
        let kid_start = prefix_sums(&per_parent);
        let mut by_name_list = vec![0u32; by_name_start.last().map_or(0, |&x| x as usize)];
        let mut kids = vec![(0u32, 0 as NameId, 0u32); kid_start.last().map_or(0, |&x| x as usize)];
        let mut name_fill = by_name_start.clone();
        let mut kid_fill = kid_start.clone();
        for node in &nodes {
            let i = node.id().get_usize();
            let id = name_of.get(i).copied().unwrap_or(NameId::MAX);
            if id == NameId::MAX {
                continue;
            }
            if let Some(at) = name_fill.get_mut(id as usize) {
                if let Some(slot) = by_name_list.get_mut(*at as usize) {
                    *slot = to_u32(i);
                }
                *at += 1;
            }
            if let Some(p) = node.parent() {
                let pi = p.id().get_usize();
                if let Some(at) = kid_fill.get_mut(pi) {
                    if let Some(slot) = kids.get_mut(*at as usize) {
                        *slot = (to_u32(pi), id, to_u32(i));
                    }
                    *at += 1;
                }
            }
        }
        for w in kid_start.windows(2) {
            if let [lo, hi] = w
                && hi - lo > 1
                && let Some(group) = kids.get_mut(*lo as usize..*hi as usize)
            {
                group.sort_unstable();
            }
        }
        // Last descendant of each node, children before parents (reverse document order).
        let mut subtree_end = vec![0u32; n];
        for node in nodes.iter().rev() {
            let i = node.id().get_usize();
            let end = match node.last_child() {
                Some(c) => subtree_end
                    .get(c.id().get_usize())
                    .copied()
                    .unwrap_or(to_u32(i)),
                None => to_u32(i),
            };
            if let Some(slot) = subtree_end.get_mut(i) {
                *slot = end;
            }
        }
        Self {
            name_of,
            by_name_start,
            by_name_list,
            subtree_end,
            kids,
            kid_start,
        }
    }

    /// The elements named `id`, in document order.
    fn by_name(&self, id: NameId) -> Option<&[u32]> {
        let i = id as usize;
        let (lo, hi) = (*self.by_name_start.get(i)?, *self.by_name_start.get(i + 1)?);
        self.by_name_list.get(lo as usize..hi as usize)
    }
}

/// `[0, c0, c0 + c1, …]`: the start of each group, and the total last.
fn prefix_sums(counts: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(counts.len() + 1);
    let mut acc = 0u32;
    out.push(0);
    for c in counts {
        acc = acc.saturating_add(*c);
        out.push(acc);
    }
    out
}

fn to_u32(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

fn last_descendant<'a, 'i>(mut n: Node<'a, 'i>) -> Node<'a, 'i> {
    while let Some(c) = n.last_child() {
        n = c;
    }
    n
}

/// Paths of child name steps from one starting node, merged by common prefix (node 0 is
/// the start), so that which of them exist is found in one walk ([`Ev::trie_exists`]).
#[derive(Debug, Default)]
pub(crate) struct PathTrie {
    /// Per trie node: the name its step selects and the trie nodes below it.
    nodes: Vec<(NameId, Vec<usize>)>,
}

impl PathTrie {
    /// Adds a path (names of its child steps) and returns its trie node.
    pub(crate) fn insert(&mut self, names: &[NameId]) -> usize {
        if self.nodes.is_empty() {
            self.nodes.push((NameId::MAX, Vec::new()));
        }
        let mut at = 0;
        for &name in names {
            let existing = self.nodes.get(at).and_then(|(_, kids)| {
                kids.iter()
                    .copied()
                    .find(|&k| self.nodes.get(k).is_some_and(|(n, _)| *n == name))
            });
            at = match existing {
                Some(k) => k,
                None => {
                    let k = self.nodes.len();
                    self.nodes.push((name, Vec::new()));
                    if let Some((_, kids)) = self.nodes.get_mut(at) {
                        kids.push(k);
                    }
                    k
                }
            };
        }
        at
    }
}

/// The dynamic focus: context item, position and size.
#[derive(Clone, Debug)]
pub(crate) struct Focus<'a> {
    pub(crate) item: Option<Item<'a>>,
    pub(crate) pos: usize,
    pub(crate) size: usize,
}

impl<'a> Focus<'a> {
    /// A focus on one node.
    pub(crate) fn node(n: XNode<'a>) -> Self {
        Self {
            item: Some(Item::Node(n)),
            pos: 1,
            size: 1,
        }
    }
}

enum Slot<'a> {
    Empty,
    Busy,
    Done(R<Seq<'a>>),
}

/// Limit on user-function recursion (the Italian VAT check recurses once per digit).
const MAX_CALL_DEPTH: u32 = 256;

/// The evaluator for one document and one program.
pub(crate) struct Ev<'a> {
    prog: &'a Program,
    doc: &'a Document<'a>,
    idx: DocIndex,
    globals: Vec<Slot<'a>>,
    lets: &'a [(String, Expr)],
    let_slots: Vec<Slot<'a>>,
    let_ctx: Option<XNode<'a>>,
    locals: Vec<Seq<'a>>,
    base: usize,
    regexes: HashMap<String, Rc<regex::Regex>>,
    depth: u32,
    pattern_mode: bool,
    /// Every attribute of the document by (namespace URI, local name), in document order;
    /// built on the first `//@name`.
    attr_idx: std::cell::OnceCell<HashMap<(&'a str, &'a str), Vec<XNode<'a>>>>,
}

impl std::fmt::Debug for Ev<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ev")
            .field("locals", &self.locals.len())
            .finish_non_exhaustive()
    }
}

impl<'a> Ev<'a> {
    /// A fresh evaluator over `doc`.
    pub(crate) fn new(prog: &'a Program, doc: &'a Document<'a>) -> Self {
        let idx = DocIndex::build(doc, &prog.names);
        let globals = prog.globals.iter().map(|_| Slot::Empty).collect();
        Self {
            prog,
            doc,
            idx,
            globals,
            lets: &[],
            let_slots: Vec::new(),
            let_ctx: None,
            locals: Vec::new(),
            base: 0,
            regexes: HashMap::new(),
            depth: 0,
            pattern_mode: false,
            attr_idx: std::cell::OnceCell::new(),
        }
    }

    /// The document node.
    pub(crate) fn root(&self) -> XNode<'a> {
        XNode::of(self.doc.root())
    }

    /// In pattern mode a dynamic error in a predicate means "no match" for that node, as
    /// XSLT 3.0 prescribes for template match patterns.
    pub(crate) fn set_pattern_mode(&mut self, on: bool) {
        self.pattern_mode = on;
    }

    /// Sets the rule whose `let`s are in scope, fired on `ctx`.
    pub(crate) fn enter_rule(&mut self, lets: &'a [(String, Expr)], ctx: XNode<'a>) {
        self.lets = lets;
        self.let_slots.clear();
        self.let_slots.extend(lets.iter().map(|_| Slot::Empty));
        self.let_ctx = Some(ctx);
    }

    /// For each node of `trie`, whether its path selects anything from `start`.
    pub(crate) fn trie_exists(&self, start: XNode<'a>, trie: &PathTrie, out: &mut Vec<bool>) {
        out.clear();
        out.resize(trie.nodes.len(), false);
        if !start.is_attribute() {
            self.trie_walk(start.node, trie, 0, out);
        }
    }

    fn trie_walk(&self, n: Node<'a, 'a>, trie: &PathTrie, t: usize, out: &mut [bool]) {
        let Some((_, kids)) = trie.nodes.get(t) else {
            return;
        };
        for &c in kids {
            let Some((name, below)) = trie.nodes.get(c) else {
                continue;
            };
            for j in self.kid_range(n, *name) {
                let Some(k) = self.kid(j) else {
                    continue;
                };
                if let Some(slot) = out.get_mut(c) {
                    *slot = true;
                }
                if below.is_empty() {
                    break;
                }
                self.trie_walk(k.node, trie, c, out);
            }
        }
    }

    /// Evaluates `e` and returns its effective boolean value.
    pub(crate) fn ebv(&mut self, e: &'a Expr, f: &Focus<'a>) -> R<bool> {
        match e {
            Expr::And(a, b) => Ok(self.ebv(a, f)? && self.ebv(b, f)?),
            Expr::Or(a, b) => Ok(self.ebv(a, f)? || self.ebv(b, f)?),
            Expr::Call(Fun::Not, args) => match args.first() {
                Some(a) => Ok(!self.ebv(a, f)?),
                None => Err(XpError::ty("not() needs an argument")),
            },
            Expr::Call(Fun::True, _) => Ok(true),
            Expr::Call(Fun::False, _) => Ok(false),
            // normalize-space(x) is a non-empty string exactly when x has a non-space
            // character: no need to build the normalized string.
            Expr::Call(Fun::NormalizeSpace, args) => {
                let s = self.str_arg_or_context(args, f)?;
                Ok(s.chars().any(|c| !is_xml_space(c)))
            }
            Expr::Call(Fun::EndsWith, args) => match args.as_slice() {
                // `name()` is `prefix:local`; a suffix without `:` can only end the local part.
                [Expr::Call(Fun::Name, none), Expr::Str(suffix)]
                    if none.is_empty() && !suffix.contains(':') =>
                {
                    let n = context_node(f)?;
                    Ok(n.expanded_name()
                        .map_or("", |(_, l)| l)
                        .ends_with(&**suffix))
                }
                _ => {
                    let v = self.call(Fun::EndsWith, args, f)?;
                    ebv(&v)
                }
            },
            Expr::GenCmp(op, a, b) => self.general_compare(*op, a, b, f),
            Expr::Bool(a) => self.ebv(a, f),
            // A parenthesized expression has the value (and so the truth) of its content.
            Expr::Seq(items) if items.len() == 1 => match items.first() {
                Some(one) => self.ebv(one, f),
                None => Ok(false),
            },
            Expr::Path(start, steps) if steps.iter().all(|s| matches!(s, Step::Axis(..))) => {
                self.path_exists(start, steps, f)
            }
            Expr::Call(Fun::Exists, args) => match args.first() {
                Some(Expr::Path(start, steps))
                    if steps.iter().all(|s| matches!(s, Step::Axis(..))) =>
                {
                    self.path_exists(start, steps, f)
                }
                _ => Ok(!self.eval_arg(args, 0, f)?.is_empty()),
            },
            _ => {
                let v = self.eval(e, f)?;
                ebv(&v)
            }
        }
    }

    /// Evaluates an expression.
    pub(crate) fn eval(&mut self, e: &'a Expr, f: &Focus<'a>) -> R<Seq<'a>> {
        match e {
            Expr::Str(s) => Ok(vec![Item::Atom(Atomic::Str(Str::B(s)))]),
            Expr::Untyped(s) => Ok(vec![Item::Atom(Atomic::Untyped(Str::B(s)))]),
            Expr::Int(i) => Ok(vec![Item::Atom(Atomic::Int(i128::from(*i)))]),
            Expr::Dec(d) => Ok(vec![Item::Atom(Atomic::Dec(*d))]),
            Expr::Dbl(d) => Ok(vec![Item::Atom(Atomic::Dbl(*d))]),
            Expr::Seq(items) => {
                if let [one] = items.as_slice() {
                    return self.eval(one, f);
                }
                let mut out = Vec::new();
                for i in items {
                    out.extend(self.eval(i, f)?);
                }
                Ok(out)
            }
            Expr::Var(v) => self.var(*v),
            Expr::ContextItem => match &f.item {
                Some(i) => Ok(vec![i.clone()]),
                None => Err(XpError::new("XPDY0002", "the context item is absent")),
            },
            Expr::Root => {
                let n = context_node(f)?;
                Ok(vec![Item::Node(XNode::of(n.node.document().root()))])
            }
            Expr::Path(start, steps) => self.path(start, steps, f),
            Expr::Filter(base, preds) => {
                let mut v = self.eval(base, f)?;
                for p in preds {
                    v = self.filter(v, p)?;
                }
                Ok(v)
            }
            Expr::Or(..) | Expr::And(..) | Expr::GenCmp(..) | Expr::Bool(_) => {
                Ok(vec![Item::Atom(Atomic::Bool(self.ebv(e, f)?))])
            }
            Expr::ValCmp(op, a, b) => {
                let x = self.eval(a, f)?;
                let y = self.eval(b, f)?;
                let (Some(x), Some(y)) = (opt_atomic(&x)?, opt_atomic(&y)?) else {
                    return Ok(Vec::new());
                };
                let x = untyped_to_string(x);
                let y = untyped_to_string(y);
                Ok(vec![Item::Atom(Atomic::Bool(compare(&x, &y, *op)?))])
            }
            Expr::Range(a, b) => {
                let x = self.eval(a, f)?;
                let y = self.eval(b, f)?;
                let (Some(x), Some(y)) = (opt_atomic(&x)?, opt_atomic(&y)?) else {
                    return Ok(Vec::new());
                };
                let lo = to_integer_arg(x)?;
                let hi = to_integer_arg(y)?;
                if hi.saturating_sub(lo) > 10_000_000 {
                    return Err(XpError::new("XPDY0130", "range too large"));
                }
                Ok((lo..=hi).map(|i| Item::Atom(Atomic::Int(i))).collect())
            }
            Expr::Arith(op, a, b) => {
                let x = self.eval(a, f)?;
                let y = self.eval(b, f)?;
                let (Some(x), Some(y)) = (opt_atomic(&x)?, opt_atomic(&y)?) else {
                    return Ok(Vec::new());
                };
                Ok(vec![Item::Atom(arith(*op, x, y)?)])
            }
            Expr::Neg(a) => {
                let x = self.eval(a, f)?;
                let Some(x) = opt_atomic(&x)? else {
                    return Ok(Vec::new());
                };
                let x = numeric_operand(x)?;
                Ok(vec![Item::Atom(match x {
                    Atomic::Int(i) => Atomic::Int(i.checked_neg().ok_or_else(overflow)?),
                    Atomic::Dec(d) => Atomic::Dec(-d),
                    Atomic::Dbl(d) => Atomic::Dbl(-d),
                    other => other,
                })])
            }
            Expr::Union(a, b) => {
                let mut nodes = Vec::new();
                self.union_into(a, b, f, &mut nodes)?;
                nodes.sort();
                nodes.dedup();
                Ok(nodes.into_iter().map(Item::Node).collect())
            }
            Expr::Castable(a, t, opt) => {
                let x = self.eval(a, f)?;
                let ok = match x.as_slice() {
                    [] => *opt,
                    [one] => one.atomize().cast(*t).is_ok(),
                    _ => false,
                };
                Ok(vec![Item::Atom(Atomic::Bool(ok))])
            }
            Expr::Cast(a, t, opt) => {
                let x = self.eval(a, f)?;
                match opt_atomic(&x)? {
                    None if *opt => Ok(Vec::new()),
                    None => Err(XpError::ty(format!(
                        "cast as {} of an empty sequence",
                        t.name()
                    ))),
                    Some(v) => Ok(vec![Item::Atom(v.cast(*t)?)]),
                }
            }
            Expr::If(c, t, el) => {
                if self.ebv(c, f)? {
                    self.eval(t, f)
                } else {
                    self.eval(el, f)
                }
            }
            Expr::For(slot, seq, body) => {
                let items = self.eval(seq, f)?;
                let mut out = Vec::new();
                for it in items {
                    self.bind_local(*slot, vec![it]);
                    let r = self.eval(body, f);
                    self.unbind_local(*slot);
                    out.extend(r?);
                }
                Ok(out)
            }
            Expr::Quant(every, slot, seq, body) => {
                if !*every && let Some(found) = self.some_in_global_strings(*slot, seq, body, f)? {
                    return Ok(vec![Item::Atom(Atomic::Bool(found))]);
                }
                let items = self.eval(seq, f)?;
                for it in items {
                    self.bind_local(*slot, vec![it]);
                    let r = self.ebv(body, f);
                    self.unbind_local(*slot);
                    if r? != *every {
                        return Ok(vec![Item::Atom(Atomic::Bool(!*every))]);
                    }
                }
                Ok(vec![Item::Atom(Atomic::Bool(*every))])
            }
            Expr::Call(fun, args) => self.call(*fun, args, f),
            Expr::RegexCall(fun, args, re) => self.regex_call(*fun, args, re.as_deref(), f),
            Expr::UserCall(i, args) => {
                let mut vals = Vec::with_capacity(args.len());
                for a in args {
                    vals.push(self.eval(a, f)?);
                }
                self.call_user(*i, vals)
            }
        }
    }

    /// The nodes of `a | b` into `out`, unsorted: nested unions (`a | b | c | …`) are
    /// collected into one list and sorted once by the caller. Operands are evaluated and
    /// checked in the order, and with the errors, of evaluating each union on its own.
    fn union_into(
        &mut self,
        a: &'a Expr,
        b: &'a Expr,
        f: &Focus<'a>,
        out: &mut Vec<XNode<'a>>,
    ) -> R<()> {
        let left = match a {
            Expr::Union(x, y) => {
                self.union_into(x, y, f, out)?;
                None
            }
            _ if self.descendants_by_name_into(a, f, out) => None,
            _ => Some(self.eval(a, f)?),
        };
        let right = match b {
            Expr::Union(x, y) => {
                self.union_into(x, y, f, out)?;
                None
            }
            _ if self.descendants_by_name_into(b, f, out) => None,
            _ => Some(self.eval(b, f)?),
        };
        for i in left.into_iter().chain(right).flatten() {
            match i {
                Item::Node(n) => out.push(n),
                Item::Atom(_) => return Err(XpError::ty("the operands of `|` must be nodes")),
            }
        }
        Ok(())
    }

    /// `//name` (from the root of the context node's tree) pushed into `out` straight from
    /// the name index, and child name paths from the context node or the root walked
    /// into it; false, with nothing pushed, for any other expression or focus.
    fn descendants_by_name_into(
        &self,
        e: &'a Expr,
        f: &Focus<'a>,
        out: &mut Vec<XNode<'a>>,
    ) -> bool {
        let (Expr::Path(start, steps), Some(Item::Node(n))) = (e, &f.item) else {
            return false;
        };
        if simple_child_path(steps) {
            // Child name steps (maybe ending in an attribute) from the context or the root.
            let from = match &**start {
                Expr::ContextItem if !n.is_attribute() => n.node,
                Expr::Root => n.node.document().root(),
                _ => return false,
            };
            self.for_each_on_child_path(from, steps, &mut |x| {
                out.push(x);
                false
            });
            return true;
        }
        let ([Step::Axis(Axis::Descendant, NodeTest::Name(id, ..), preds)], Expr::Root) =
            (steps.as_slice(), &**start)
        else {
            return false;
        };
        if !preds.is_empty() {
            return false;
        }
        self.indexed_descendants(n.node.document().root(), *id, out);
        true
    }

    fn bind_local(&mut self, slot: usize, v: Seq<'a>) {
        self.locals.truncate(self.base + slot);
        self.locals.push(v);
    }

    fn unbind_local(&mut self, slot: usize) {
        self.locals.truncate(self.base + slot);
    }

    fn var(&mut self, v: VarRef) -> R<Seq<'a>> {
        match v {
            VarRef::Local(i) => self
                .locals
                .get(self.base + i)
                .cloned()
                .ok_or_else(|| XpError::new("XPST0008", "local variable not bound")),
            VarRef::Global(i) => self.global(i),
            VarRef::RuleLet(i) => self.rule_let(i),
        }
    }

    fn global(&mut self, i: usize) -> R<Seq<'a>> {
        match self.globals.get(i) {
            Some(Slot::Done(r)) => return r.clone(),
            Some(Slot::Busy) => return Err(XpError::new("XTDE0640", "circular global variable")),
            Some(Slot::Empty) => {}
            None => return Err(XpError::new("XPST0008", "unknown global variable")),
        }
        let prog = self.prog;
        let Some(g) = prog.globals.get(i) else {
            return Err(XpError::new("XPST0008", "unknown global variable"));
        };
        if let Some(s) = self.globals.get_mut(i) {
            *s = Slot::Busy;
        }
        let focus = Focus::node(self.root());
        let r = self
            .in_frame(|ev| ev.eval(&g.expr, &focus))
            .and_then(|v| convert(v, g.ty, &g.name));
        if let Some(s) = self.globals.get_mut(i) {
            *s = Slot::Done(r.clone());
        }
        r
    }

    fn rule_let(&mut self, i: usize) -> R<Seq<'a>> {
        match self.let_slots.get(i) {
            Some(Slot::Done(r)) => return r.clone(),
            Some(Slot::Busy) => return Err(XpError::new("XTDE0640", "circular variable")),
            Some(Slot::Empty) => {}
            None => return Err(XpError::new("XPST0008", "unknown rule variable")),
        }
        let lets = self.lets;
        let Some((_, e)) = lets.get(i) else {
            return Err(XpError::new("XPST0008", "unknown rule variable"));
        };
        let Some(ctx) = self.let_ctx else {
            return Err(XpError::new("XPDY0002", "no rule context"));
        };
        if let Some(s) = self.let_slots.get_mut(i) {
            *s = Slot::Busy;
        }
        let focus = Focus::node(ctx);
        let r = self.in_frame(|ev| ev.eval(e, &focus));
        if let Some(s) = self.let_slots.get_mut(i) {
            *s = Slot::Done(r.clone());
        }
        r
    }

    fn in_frame<T>(&mut self, body: impl FnOnce(&mut Self) -> R<T>) -> R<T> {
        let saved_base = self.base;
        let saved_len = self.locals.len();
        self.base = saved_len;
        let r = body(self);
        self.locals.truncate(saved_len);
        self.base = saved_base;
        r
    }

    fn call_user(&mut self, i: usize, args: Vec<Seq<'a>>) -> R<Seq<'a>> {
        let prog = self.prog;
        let Some(func) = prog.functions.get(i) else {
            return Err(XpError::new("XPST0017", "unknown function"));
        };
        if self.depth >= MAX_CALL_DEPTH {
            return Err(XpError::new(
                "XTDE0000",
                format!("{} recursed too deeply", func.name),
            ));
        }
        let mut converted = Vec::with_capacity(args.len());
        for (a, t) in args.into_iter().zip(&func.params) {
            converted.push(convert(a, *t, &func.name)?);
        }
        self.depth += 1;
        let r = self.in_frame(|ev| {
            ev.locals.extend(converted);
            let mut out = Vec::new();
            ev.run(&func.body, &mut out)?;
            Ok(out)
        });
        self.depth -= 1;
        convert(r?, func.ret, &func.name)
    }

    fn run(&mut self, body: &'a [Instr], out: &mut Seq<'a>) -> R<()> {
        let nofocus = Focus {
            item: None,
            pos: 0,
            size: 0,
        };
        for ins in body {
            match ins {
                Instr::Let(slot, e, t) => {
                    let v = self.eval(e, &nofocus)?;
                    let v = convert(v, *t, "variable")?;
                    self.bind_local(*slot, v);
                }
                Instr::LetBody(slot, inner, t) => {
                    let mut v = Vec::new();
                    self.run(inner, &mut v)?;
                    let v = convert(v, *t, "variable")?;
                    self.bind_local(*slot, v);
                }
                Instr::Yield(e) => out.extend(self.eval(e, &nofocus)?),
                Instr::Text(e) => {
                    let v = self.eval(e, &nofocus)?;
                    let parts: Vec<String> =
                        v.iter().map(|i| i.string_value().to_string()).collect();
                    let text = parts.join(" ");
                    // A zero-length text node is discarded (XSLT 3.0 §5.7.2).
                    if !text.is_empty() {
                        out.push(Item::Atom(Atomic::Untyped(Str::owned(text))));
                    }
                }
                Instr::Choose(whens, otherwise) => {
                    let mut done = false;
                    for (test, branch) in whens {
                        if self.ebv(test, &nofocus)? {
                            self.run(branch, out)?;
                            done = true;
                            break;
                        }
                    }
                    if !done {
                        self.run(otherwise, out)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// `some $x in $global satisfies path = $x`, where the global holds only strings and
    /// `path` (axis steps from the context, no predicates) only nodes: then no comparison
    /// can fail and the answer is string membership, found without binding `$x` to each
    /// code in turn. `None` when the shape or the values do not allow it.
    fn some_in_global_strings(
        &mut self,
        slot: usize,
        seq: &'a Expr,
        body: &'a Expr,
        f: &Focus<'a>,
    ) -> R<Option<bool>> {
        let (Expr::Var(VarRef::Global(g)), Expr::GenCmp(CmpOp::Eq, lhs, rhs)) = (seq, body) else {
            return Ok(None);
        };
        let (Expr::Path(start, steps), Expr::Var(VarRef::Local(l))) = (&**lhs, &**rhs) else {
            return Ok(None);
        };
        if *l != slot
            || !matches!(**start, Expr::ContextItem)
            || !steps
                .iter()
                .all(|s| matches!(s, Step::Axis(_, _, p) if p.is_empty()))
        {
            return Ok(None);
        }
        self.global(*g)?;
        let Some(Slot::Done(Ok(codes))) = self.globals.get(*g) else {
            return Ok(None);
        };
        if codes.is_empty() {
            return Ok(Some(false));
        }
        if !codes
            .iter()
            .all(|c| matches!(c, Item::Atom(Atomic::Str(_))))
        {
            return Ok(None);
        }
        let values = self.path(start, steps, f)?;
        let Some(Slot::Done(Ok(codes))) = self.globals.get(*g) else {
            return Ok(None);
        };
        for v in &values {
            let Item::Node(n) = v else {
                return Ok(None);
            };
            let s = n.string_value();
            if codes
                .iter()
                .any(|c| matches!(c, Item::Atom(Atomic::Str(code)) if **code == *s))
            {
                return Ok(Some(true));
            }
        }
        Ok(Some(false))
    }

    /// At `steps[i]`, `descendant-or-self::node()/child::test[preds]` where every predicate
    /// is independent of the position (boolean by its form, or a global variable whose value
    /// is not a number): the same nodes as `descendant::test[preds]`, found from the name
    /// index instead of a child step from every node of the document.
    fn descendant_shortcut(&mut self, steps: &'a [Step], i: usize) -> Option<&'a Step> {
        let (Some(Step::Axis(Axis::DescendantOrSelf, NodeTest::Node, p0)), Some(next)) =
            (steps.get(i), steps.get(i + 1))
        else {
            return None;
        };
        let Step::Axis(Axis::Child, test, preds) = next else {
            return None;
        };
        if !p0.is_empty() || matches!(test, NodeTest::AttributeKind) || preds.is_empty() {
            return None;
        }
        for p in preds {
            match p {
                Expr::Bool(_) => {}
                Expr::Var(VarRef::Global(g)) => match self.global(*g) {
                    Ok(v) if !matches!(v.as_slice(), [Item::Atom(a)] if a.is_numeric()) => {}
                    _ => return None,
                },
                _ => return None,
            }
        }
        Some(next)
    }

    /// The nodes of `axis::test[preds]` from each of `nodes`, when every predicate is
    /// boolean by its form: each candidate is tested in turn, without building sequences.
    /// The same predicate evaluations happen as filtering predicate by predicate would do.
    fn bool_filtered_step(
        &mut self,
        nodes: &[XNode<'a>],
        axis: Axis,
        test: &'a NodeTest,
        preds: &'a [Expr],
    ) -> R<Vec<XNode<'a>>> {
        let mut out: Vec<XNode<'a>> = Vec::new();
        let mut buf: Vec<XNode<'a>> = Vec::new();
        for n in nodes {
            buf.clear();
            self.axis(*n, axis, test, &mut buf);
            let size = buf.len();
            for (k, x) in buf.iter().enumerate() {
                let focus = Focus {
                    item: Some(Item::Node(*x)),
                    pos: k + 1,
                    size,
                };
                let mut keep = true;
                for p in preds {
                    let Expr::Bool(inner) = p else {
                        return Err(XpError::new(
                            "XPST0003",
                            "internal: not a boolean predicate",
                        ));
                    };
                    keep = match self.ebv(inner, &focus) {
                        Ok(b) => b,
                        Err(_) if self.pattern_mode => false,
                        Err(e) => return Err(e),
                    };
                    if !keep {
                        break;
                    }
                }
                if keep {
                    out.push(*x);
                }
            }
        }
        if nodes.len() > 1 || axis.is_reverse() {
            out.sort();
            out.dedup();
        }
        Ok(out)
    }

    fn path(&mut self, start: &'a Expr, steps: &'a [Step], f: &Focus<'a>) -> R<Seq<'a>> {
        // Between axis steps the selection stays a list of nodes; a filter step's result
        // (nodes or atomic values) is kept as items until a next step needs nodes.
        let mut pending: Option<Seq<'a>> = None;
        let mut nodes: Vec<XNode<'a>> = match (start, &f.item) {
            (Expr::ContextItem, Some(Item::Node(n))) => vec![*n],
            (Expr::Root, Some(Item::Node(n))) => vec![XNode::of(n.node.document().root())],
            _ => {
                pending = Some(self.eval(start, f)?);
                Vec::new()
            }
        };
        let mut i = 0;
        while let Some(step) = steps.get(i) {
            if let Some(items) = pending.take() {
                nodes = self.nodes_of(&items)?;
            }
            if let Some(Step::Axis(_, test, preds)) = self.descendant_shortcut(steps, i) {
                nodes = self.descendant_step(&nodes, test, preds)?;
                i += 2;
                continue;
            }
            i += 1;
            match step {
                Step::Axis(axis, test, preds) => {
                    nodes = self.axis_step(&nodes, *axis, test, preds)?;
                }
                Step::Filter(e, preds) => pending = Some(self.filter_step(&nodes, e, preds)?),
            }
        }
        Ok(match pending {
            Some(items) => items,
            None => nodes.into_iter().map(Item::Node).collect(),
        })
    }

    /// Whether a path of axis steps selects anything, stopping at the first node (its
    /// effective boolean value; Saxon evaluates it lazily in the same way).
    fn path_exists(&mut self, start: &'a Expr, steps: &'a [Step], f: &Focus<'a>) -> R<bool> {
        if let Expr::ContextItem = start {
            let n = context_node(f)?;
            return self.exists_from(n, steps);
        }
        if let (Expr::Root, Some(Item::Node(n))) = (start, &f.item) {
            return self.exists_from(XNode::of(n.node.document().root()), steps);
        }
        let starts = self.eval(start, f)?;
        for it in &starts {
            match it {
                Item::Node(n) => {
                    if self.exists_from(*n, steps)? {
                        return Ok(true);
                    }
                }
                Item::Atom(_) => {
                    return Err(XpError::new(
                        "XPTY0019",
                        "a path step applied to an atomic value",
                    ));
                }
            }
        }
        Ok(false)
    }

    fn exists_from(&mut self, n: XNode<'a>, steps: &'a [Step]) -> R<bool> {
        let Some((first, rest)) = steps.split_first() else {
            return Ok(true);
        };
        let Step::Axis(axis, test, preds) = first else {
            return Err(XpError::new(
                "XPST0003",
                "internal: filter step in an existence check",
            ));
        };
        if preds.is_empty() && !n.is_attribute() {
            // The common shapes walk the tree directly, without collecting the step.
            match (axis, test) {
                (Axis::Child, NodeTest::Name(id, ..)) => {
                    let range = self.kid_range(n.node, *id);
                    if rest.is_empty() {
                        return Ok(!range.is_empty());
                    }
                    for j in range {
                        let Some(c) = self.kid(j) else { continue };
                        if self.exists_from(c, rest)? {
                            return Ok(true);
                        }
                    }
                    return Ok(false);
                }
                (Axis::Child, _) => {
                    for c in n.node.children() {
                        let c = XNode::of(c);
                        if self.test(c, *axis, test)
                            && (rest.is_empty() || self.exists_from(c, rest)?)
                        {
                            return Ok(true);
                        }
                    }
                    return Ok(false);
                }
                (Axis::Descendant, NodeTest::Name(id, ..)) => {
                    let range = self.descendant_range(n.node, *id);
                    if rest.is_empty() {
                        return Ok(!range.is_empty());
                    }
                    for j in range {
                        let Some(d) = self
                            .idx
                            .by_name_list
                            .get(j)
                            .and_then(|&i| self.doc.get_node(NodeId::from(i)).map(XNode::of))
                        else {
                            continue;
                        };
                        if self.exists_from(d, rest)? {
                            return Ok(true);
                        }
                    }
                    return Ok(false);
                }
                (Axis::SubtreeAttribute, NodeTest::Name(..)) if rest.is_empty() => {
                    let mut buf = Vec::new();
                    self.axis(n, *axis, test, &mut buf);
                    return Ok(!buf.is_empty());
                }
                (Axis::Attribute, NodeTest::Name(..)) if rest.is_empty() => {
                    if !n.node.is_element() {
                        return Ok(false);
                    }
                    let count = n.node.attributes().len();
                    return Ok((0..count).any(|k| {
                        self.test(
                            XNode {
                                node: n.node,
                                attr: to_u32(k + 1),
                            },
                            *axis,
                            test,
                        )
                    }));
                }
                _ => {}
            }
        }
        let mut buf = Vec::new();
        self.axis(n, *axis, test, &mut buf);
        if preds.is_empty() {
            if rest.is_empty() {
                return Ok(!buf.is_empty());
            }
            for c in buf {
                if self.exists_from(c, rest)? {
                    return Ok(true);
                }
            }
            return Ok(false);
        }
        let mut v: Seq<'a> = buf.into_iter().map(Item::Node).collect();
        for p in preds {
            v = self.filter(v, p)?;
        }
        for it in v {
            if let Item::Node(c) = it
                && self.exists_from(c, rest)?
            {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn nodes_of(&self, v: &Seq<'a>) -> R<Vec<XNode<'a>>> {
        v.iter()
            .map(|it| match it {
                Item::Node(n) => Ok(*n),
                Item::Atom(_) => Err(XpError::new(
                    "XPTY0019",
                    "a path step applied to an atomic value",
                )),
            })
            .collect()
    }

    /// `a op 'literal'` when `a` is a path of child name steps from the context element or
    /// `normalize-space(...)`: every value is a string or untyped, so each comparison is a
    /// plain string comparison that cannot fail, made without building sequences. `None`
    /// when `a` has another shape.
    fn compare_with_string(
        &mut self,
        op: CmpOp,
        a: &'a Expr,
        lit: &'a str,
        f: &Focus<'a>,
    ) -> R<Option<bool>> {
        let q = Atomic::Str(Str::B(lit));
        match a {
            Expr::Path(start, steps) if matches!(**start, Expr::ContextItem) => {
                let Some(Item::Node(n)) = &f.item else {
                    return Ok(None);
                };
                if n.is_attribute() || !simple_child_path(steps) {
                    return Ok(None);
                }
                let mut found = false;
                self.for_each_on_child_path(n.node, steps, &mut |x| {
                    let p = Atomic::Str(x.string_value());
                    found = compare(&p, &q, op).unwrap_or(false);
                    found
                });
                Ok(Some(found))
            }
            Expr::Call(Fun::NormalizeSpace, args) => {
                let s = self.str_arg_or_context(args, f)?;
                let p = Atomic::Str(normalize_space(s));
                Ok(Some(compare(&p, &q, op)?))
            }
            _ => Ok(None),
        }
    }

    /// Calls `visit` with each node a [`simple_child_path`] selects from `n`, in document
    /// order, until it returns true; returns whether it did.
    fn for_each_on_child_path(
        &self,
        n: Node<'a, 'a>,
        steps: &'a [Step],
        visit: &mut dyn FnMut(XNode<'a>) -> bool,
    ) -> bool {
        let Some((first, rest)) = steps.split_first() else {
            return visit(XNode::of(n));
        };
        match first {
            Step::Axis(Axis::Child, NodeTest::Name(id, ..), _) => {
                for j in self.kid_range(n, *id) {
                    if let Some(c) = self.kid(j)
                        && self.for_each_on_child_path(c.node, rest, visit)
                    {
                        return true;
                    }
                }
                false
            }
            Step::Axis(axis @ Axis::Attribute, test, _) => {
                if !n.is_element() {
                    return false;
                }
                for k in 0..n.attributes().len() {
                    let a = XNode {
                        node: n,
                        attr: to_u32(k + 1),
                    };
                    if self.test(a, *axis, test) && visit(a) {
                        return true;
                    }
                }
                false
            }
            _ => false,
        }
    }

    /// `descendant::test[preds]` from each of `nodes` (see [`Self::descendant_shortcut`]).
    fn descendant_step(
        &mut self,
        nodes: &[XNode<'a>],
        test: &'a NodeTest,
        preds: &'a [Expr],
    ) -> R<Vec<XNode<'a>>> {
        if preds.iter().all(|p| matches!(p, Expr::Bool(_))) {
            return self.bool_filtered_step(nodes, Axis::Descendant, test, preds);
        }
        let mut out: Vec<XNode<'a>> = Vec::new();
        let mut buf: Vec<XNode<'a>> = Vec::new();
        for n in nodes {
            buf.clear();
            self.axis(*n, Axis::Descendant, test, &mut buf);
            let mut v: Seq<'a> = buf.iter().map(|x| Item::Node(*x)).collect();
            for p in preds {
                v = self.filter(v, p)?;
            }
            out.extend(v.into_iter().filter_map(|i| match i {
                Item::Node(n) => Some(n),
                Item::Atom(_) => None,
            }));
        }
        if nodes.len() > 1 {
            out.sort();
            out.dedup();
        }
        Ok(out)
    }

    /// `axis::test[preds]` from each of `nodes`: the selected nodes in document order.
    fn axis_step(
        &mut self,
        nodes: &[XNode<'a>],
        axis: Axis,
        test: &'a NodeTest,
        preds: &'a [Expr],
    ) -> R<Vec<XNode<'a>>> {
        if !preds.is_empty() && preds.iter().all(|p| matches!(p, Expr::Bool(_))) {
            return self.bool_filtered_step(nodes, axis, test, preds);
        }
        let mut out: Vec<XNode<'a>> = Vec::new();
        let mut buf: Vec<XNode<'a>> = Vec::new();
        for n in nodes {
            if preds.is_empty() {
                self.axis(*n, axis, test, &mut out);
                continue;
            }
            buf.clear();
            self.axis(*n, axis, test, &mut buf);
            let mut v: Seq<'a> = buf.iter().map(|x| Item::Node(*x)).collect();
            for p in preds {
                v = self.filter(v, p)?;
            }
            out.extend(v.into_iter().filter_map(|i| match i {
                Item::Node(n) => Some(n),
                Item::Atom(_) => None,
            }));
        }
        if nodes.len() > 1 || axis.is_reverse() {
            out.sort();
            out.dedup();
        }
        Ok(out)
    }

    /// A filter step (`xs:decimal(.)`, `(a|b)`) evaluated with each of `nodes` as context:
    /// nodes in document order, or atomic values in order.
    fn filter_step(&mut self, nodes: &[XNode<'a>], e: &'a Expr, preds: &'a [Expr]) -> R<Seq<'a>> {
        let size = nodes.len();
        let mut out: Seq<'a> = Vec::new();
        for (i, n) in nodes.iter().enumerate() {
            let focus = Focus {
                item: Some(Item::Node(*n)),
                pos: i + 1,
                size,
            };
            let mut v = self.eval(e, &focus)?;
            for p in preds {
                v = self.filter(v, p)?;
            }
            out.extend(v);
        }
        let all_nodes = out.iter().all(|i| matches!(i, Item::Node(_)));
        let any_nodes = out.iter().any(|i| matches!(i, Item::Node(_)));
        if all_nodes {
            let mut ns: Vec<XNode<'a>> = out
                .into_iter()
                .filter_map(|i| match i {
                    Item::Node(n) => Some(n),
                    Item::Atom(_) => None,
                })
                .collect();
            ns.sort();
            ns.dedup();
            Ok(ns.into_iter().map(Item::Node).collect())
        } else if any_nodes {
            Err(XpError::ty(
                "a path step returned both nodes and atomic values",
            ))
        } else {
            Ok(out)
        }
    }

    fn filter(&mut self, v: Seq<'a>, p: &'a Expr) -> R<Seq<'a>> {
        let size = v.len();
        let mut out = Vec::with_capacity(size);
        for (i, it) in v.into_iter().enumerate() {
            let focus = Focus {
                item: Some(it),
                pos: i + 1,
                size,
            };
            let keep = match p {
                Expr::Int(k) => i64::try_from(i + 1).ok() == Some(*k),
                Expr::Call(Fun::Last, _) => i + 1 == size,
                _ => match self.predicate(p, &focus, i + 1) {
                    Ok(k) => k,
                    Err(_) if self.pattern_mode => false,
                    Err(e) => return Err(e),
                },
            };
            if keep && let Some(item) = focus.item {
                out.push(item);
            }
        }
        Ok(out)
    }

    fn predicate(&mut self, p: &'a Expr, focus: &Focus<'a>, pos: usize) -> R<bool> {
        if let Expr::Bool(inner) = p {
            return self.ebv(inner, focus);
        }
        let r = self.eval(p, focus)?;
        match r.as_slice() {
            [Item::Atom(a)] if a.is_numeric() => Ok(a.as_f64() == pos as f64),
            _ => ebv(&r),
        }
    }

    fn elem_name_id(&self, n: Node<'a, 'a>) -> NameId {
        self.idx
            .name_of
            .get(n.id().get_usize())
            .copied()
            .unwrap_or(NameId::MAX)
    }

    fn test(&self, n: XNode<'a>, axis: Axis, test: &NodeTest) -> bool {
        let principal_attr = matches!(axis, Axis::Attribute | Axis::SubtreeAttribute);
        match test {
            NodeTest::Node => true,
            NodeTest::Text => !n.is_attribute() && n.node.is_text(),
            NodeTest::Comment => !n.is_attribute() && n.node.is_comment(),
            NodeTest::Pi => !n.is_attribute() && n.node.is_pi(),
            NodeTest::Element => n.is_element(),
            NodeTest::AttributeKind => n.is_attribute(),
            NodeTest::Document => !n.is_attribute() && n.node.node_type() == NodeType::Root,
            NodeTest::Any => {
                if principal_attr {
                    n.is_attribute()
                } else {
                    n.is_element()
                }
            }
            NodeTest::Name(id, ns, local) => {
                if principal_attr {
                    n.attribute().is_some_and(|a| {
                        a.name() == &**local && a.namespace().unwrap_or("") == &**ns
                    })
                } else {
                    n.is_element() && *id != NameId::MAX && self.elem_name_id(n.node) == *id
                }
            }
            NodeTest::NsWild(ns) => {
                let ok_kind = if principal_attr {
                    n.is_attribute()
                } else {
                    n.is_element()
                };
                ok_kind && n.expanded_name().is_some_and(|(u, _)| u == &**ns)
            }
            NodeTest::LocalWild(local) => {
                let ok_kind = if principal_attr {
                    n.is_attribute()
                } else {
                    n.is_element()
                };
                ok_kind && n.expanded_name().is_some_and(|(_, l)| l == &**local)
            }
        }
    }

    /// Pushes the nodes of `axis` from `n` that pass `test`, in axis order.
    fn axis(&self, n: XNode<'a>, axis: Axis, test: &NodeTest, out: &mut Vec<XNode<'a>>) {
        let push = |x: XNode<'a>, out: &mut Vec<XNode<'a>>| {
            if self.test(x, axis, test) {
                out.push(x);
            }
        };
        if n.is_attribute() {
            match axis {
                Axis::SelfAxis | Axis::DescendantOrSelf => push(n, out),
                Axis::Parent => push(XNode::of(n.node), out),
                Axis::Ancestor | Axis::AncestorOrSelf => {
                    if axis == Axis::AncestorOrSelf {
                        push(n, out);
                    }
                    let mut p = Some(n.node);
                    while let Some(x) = p {
                        push(XNode::of(x), out);
                        p = x.parent();
                    }
                }
                Axis::Following => {
                    for d in n.node.descendants().skip(1) {
                        push(XNode::of(d), out);
                    }
                    self.following_after_subtree(n.node, test, axis, out);
                }
                Axis::Preceding => self.preceding(n.node, test, axis, out),
                _ => {}
            }
            return;
        }
        let node = n.node;
        match axis {
            Axis::Child if matches!(test, NodeTest::Name(..)) => {
                if let NodeTest::Name(id, ..) = test {
                    self.indexed_children(node, *id, out);
                }
            }
            Axis::Child => {
                for c in node.children() {
                    push(XNode::of(c), out);
                }
            }
            Axis::Descendant | Axis::DescendantOrSelf => {
                if axis == Axis::DescendantOrSelf {
                    push(n, out);
                }
                if let NodeTest::Name(id, ..) = test {
                    self.indexed_descendants(node, *id, out);
                    return;
                }
                for d in node.descendants().skip(1) {
                    push(XNode::of(d), out);
                }
            }
            Axis::SelfAxis => push(n, out),
            Axis::Parent => {
                if let Some(p) = node.parent() {
                    push(XNode::of(p), out);
                }
            }
            Axis::Ancestor | Axis::AncestorOrSelf => {
                let mut p = if axis == Axis::AncestorOrSelf {
                    Some(node)
                } else {
                    node.parent()
                };
                while let Some(x) = p {
                    push(XNode::of(x), out);
                    p = x.parent();
                }
            }
            Axis::FollowingSibling => {
                let mut s = node.next_sibling();
                while let Some(x) = s {
                    push(XNode::of(x), out);
                    s = x.next_sibling();
                }
            }
            Axis::PrecedingSibling => {
                let mut s = node.prev_sibling();
                while let Some(x) = s {
                    push(XNode::of(x), out);
                    s = x.prev_sibling();
                }
            }
            Axis::Following => self.following_after_subtree(node, test, axis, out),
            Axis::Preceding => self.preceding(node, test, axis, out),
            Axis::SubtreeAttribute if matches!(test, NodeTest::Name(..)) => {
                if let NodeTest::Name(_, ns, local) = test {
                    self.indexed_subtree_attributes(node, ns, local, out);
                }
            }
            Axis::SubtreeAttribute => {
                for d in node.descendants().filter(Node::is_element) {
                    let count = d.attributes().len();
                    for k in 0..count {
                        push(
                            XNode {
                                node: d,
                                attr: to_u32(k + 1),
                            },
                            out,
                        );
                    }
                }
            }
            Axis::Attribute => {
                if node.is_element() {
                    let count = node.attributes().len();
                    for i in 0..count {
                        push(
                            XNode {
                                node,
                                attr: to_u32(i + 1),
                            },
                            out,
                        );
                    }
                }
            }
        }
    }

    fn indexed_children(&self, node: Node<'a, 'a>, id: NameId, out: &mut Vec<XNode<'a>>) {
        out.extend(self.indexed_child_nodes(node, id));
    }

    /// The element children of `node` named `id`, in document order, from the index.
    fn indexed_child_nodes(
        &self,
        node: Node<'a, 'a>,
        id: NameId,
    ) -> impl Iterator<Item = XNode<'a>> + use<'a, '_> {
        self.kid_range(node, id).filter_map(|j| self.kid(j))
    }

    /// Where the entries of `node`'s children named `id` are in the child index.
    fn kid_range(&self, node: Node<'a, 'a>, id: NameId) -> std::ops::Range<usize> {
        if id == NameId::MAX {
            return 0..0;
        }
        let i = node.id().get_usize();
        let start = &self.idx.kid_start;
        let (Some(&lo), Some(&hi)) = (start.get(i), start.get(i + 1)) else {
            return 0..0;
        };
        let (lo, hi) = (lo as usize, hi as usize);
        let all = self.idx.kids.get(lo..hi).unwrap_or_default();
        let from = all.partition_point(|k| k.1 < id);
        let to = from
            + all
                .get(from..)
                .unwrap_or_default()
                .partition_point(|k| k.1 == id);
        lo + from..lo + to
    }

    /// The element of entry `j` of the child index.
    fn kid(&self, j: usize) -> Option<XNode<'a>> {
        let k = self.idx.kids.get(j)?;
        self.doc.get_node(NodeId::from(k.2)).map(XNode::of)
    }

    /// Where the descendants of `node` named `id` are in the flat name list.
    fn descendant_range(&self, node: Node<'a, 'a>, id: NameId) -> std::ops::Range<usize> {
        let i = id as usize;
        let (Some(&lo), Some(&hi)) = (
            self.idx.by_name_start.get(i),
            self.idx.by_name_start.get(i + 1),
        ) else {
            return 0..0;
        };
        let (lo, hi) = (lo as usize, hi as usize);
        let list = self.idx.by_name_list.get(lo..hi).unwrap_or_default();
        let (start, end) = self.subtree_span(node);
        let from = list.partition_point(|&x| (x as usize) <= start);
        let to = list.partition_point(|&x| (x as usize) <= end);
        lo + from..lo + to
    }

    fn indexed_descendants(&self, node: Node<'a, 'a>, id: NameId, out: &mut Vec<XNode<'a>>) {
        if id == NameId::MAX {
            return;
        }
        let Some(list) = self.idx.by_name(id) else {
            return;
        };
        let start = to_u32(node.id().get_usize());
        let end = self
            .idx
            .subtree_end
            .get(node.id().get_usize())
            .copied()
            .unwrap_or(start);
        let from = list.partition_point(|&x| x <= start);
        let to = list.partition_point(|&x| x <= end);
        for &i in list.get(from..to).unwrap_or_default() {
            if let Some(d) = self.doc.get_node(NodeId::from(i)) {
                out.push(XNode::of(d));
            }
        }
    }

    /// The attributes named `{ns}local` of `node` and its descendants, from the index.
    fn indexed_subtree_attributes(
        &self,
        node: Node<'a, 'a>,
        ns: &str,
        local: &str,
        out: &mut Vec<XNode<'a>>,
    ) {
        let idx = self.attr_idx.get_or_init(|| {
            let mut m: HashMap<(&'a str, &'a str), Vec<XNode<'a>>> = HashMap::new();
            for d in self.doc.descendants().filter(Node::is_element) {
                for (k, a) in d.attributes().enumerate() {
                    m.entry((a.namespace().unwrap_or(""), a.name()))
                        .or_default()
                        .push(XNode {
                            node: d,
                            attr: to_u32(k + 1),
                        });
                }
            }
            m
        });
        let Some(list) = idx.get(&(ns, local)) else {
            return;
        };
        let (start, end) = self.subtree_span(node);
        let from = list.partition_point(|x| x.node.id().get_usize() < start);
        let to = list.partition_point(|x| x.node.id().get_usize() <= end);
        out.extend_from_slice(list.get(from..to).unwrap_or_default());
    }

    /// The ids of `node` and of its last descendant.
    fn subtree_span(&self, node: Node<'a, 'a>) -> (usize, usize) {
        let start = node.id().get_usize();
        let end = self
            .idx
            .subtree_end
            .get(start)
            .map_or(start, |&e| e as usize);
        (start, end)
    }

    fn following_after_subtree(
        &self,
        node: Node<'a, 'a>,
        test: &NodeTest,
        axis: Axis,
        out: &mut Vec<XNode<'a>>,
    ) {
        let end = last_descendant(node).id();
        for d in self.doc.descendants() {
            if d.id().get_usize() > end.get_usize() && self.test(XNode::of(d), axis, test) {
                out.push(XNode::of(d));
            }
        }
    }

    fn preceding(&self, node: Node<'a, 'a>, test: &NodeTest, axis: Axis, out: &mut Vec<XNode<'a>>) {
        if let NodeTest::Name(id, ..) = test
            && let Some(list) = self.idx.by_name(*id)
        {
            // Elements of that name before `node` that do not contain it, nearest first.
            let at = node.id().get_usize();
            let before = list.partition_point(|&x| (x as usize) < at);
            for &x in list.get(..before).unwrap_or_default().iter().rev() {
                let Some(d) = self.doc.get_node(NodeId::from(x)) else {
                    continue;
                };
                if self.subtree_span(d).1 < at {
                    out.push(XNode::of(d));
                }
            }
            return;
        }
        let ancestors: Vec<NodeId> = node.ancestors().map(|a| a.id()).collect();
        let mut v: Vec<XNode<'a>> = Vec::new();
        for d in self.doc.descendants() {
            if d.id().get_usize() >= node.id().get_usize() {
                break;
            }
            if !ancestors.contains(&d.id()) && self.test(XNode::of(d), axis, test) {
                v.push(XNode::of(d));
            }
        }
        v.reverse();
        out.extend(v);
    }

    fn eval_arg(&mut self, args: &'a [Expr], i: usize, f: &Focus<'a>) -> R<Seq<'a>> {
        match args.get(i) {
            Some(a) => self.eval(a, f),
            None => Err(XpError::new("XPST0017", "missing argument")),
        }
    }

    /// The single string argument `i` (empty sequence → "").
    fn str_arg(&mut self, args: &'a [Expr], i: usize, f: &Focus<'a>) -> R<Str<'a>> {
        if let Some(s) = self.quick_str(args.get(i), f) {
            return Ok(s);
        }
        let v = self.eval_arg(args, i, f)?;
        string_param(&v)
    }

    /// The string argument without building a sequence, for the common shapes: a string
    /// literal, `.` on a node or string, and a path of child name steps (optionally
    /// ending in an attribute) from a context element that selects at most one node.
    /// `None` sends every other case, errors included, to the general evaluation.
    fn quick_str(&self, e: Option<&'a Expr>, f: &Focus<'a>) -> Option<Str<'a>> {
        match e? {
            Expr::Str(s) => Some(Str::B(s)),
            Expr::ContextItem => match f.item.as_ref()? {
                Item::Node(n) => Some(n.string_value()),
                Item::Atom(Atomic::Str(s) | Atomic::Untyped(s)) => Some(s.clone()),
                Item::Atom(_) => None,
            },
            Expr::Path(start, steps) if matches!(**start, Expr::ContextItem) => {
                let Some(Item::Node(n)) = &f.item else {
                    return None;
                };
                if n.is_attribute() || !simple_child_path(steps) {
                    return None;
                }
                let mut found = (None, 0usize);
                self.child_path_upto2(n.node, steps, &mut found);
                match found {
                    (_, 0) => Some(Str::B("")),
                    (Some(x), 1) => Some(x.string_value()),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// Walks a [`simple_child_path`] from `n`, keeping the first node found and counting
    /// up to two.
    fn child_path_upto2(
        &self,
        n: Node<'a, 'a>,
        steps: &'a [Step],
        found: &mut (Option<XNode<'a>>, usize),
    ) {
        let Some((first, rest)) = steps.split_first() else {
            if found.0.is_none() {
                found.0 = Some(XNode::of(n));
            }
            found.1 += 1;
            return;
        };
        match first {
            Step::Axis(Axis::Child, NodeTest::Name(id, ..), _) => {
                for j in self.kid_range(n, *id) {
                    if found.1 >= 2 {
                        return;
                    }
                    if let Some(c) = self.kid(j) {
                        self.child_path_upto2(c.node, rest, found);
                    }
                }
            }
            Step::Axis(axis @ Axis::Attribute, test, _) => {
                if !n.is_element() {
                    return;
                }
                for k in 0..n.attributes().len() {
                    let a = XNode {
                        node: n,
                        attr: to_u32(k + 1),
                    };
                    if self.test(a, *axis, test) {
                        if found.0.is_none() {
                            found.0 = Some(a);
                        }
                        found.1 += 1;
                    }
                }
            }
            _ => found.1 = 2,
        }
    }

    fn str_arg_or_context(&mut self, args: &'a [Expr], f: &Focus<'a>) -> R<Str<'a>> {
        if args.is_empty() {
            match &f.item {
                Some(i) => Ok(i.string_value()),
                None => Err(XpError::new("XPDY0002", "the context item is absent")),
            }
        } else {
            self.str_arg(args, 0, f)
        }
    }

    fn node_arg_or_context(&mut self, args: &'a [Expr], f: &Focus<'a>) -> R<Option<XNode<'a>>> {
        if args.is_empty() {
            return context_node(f).map(Some);
        }
        let v = self.eval_arg(args, 0, f)?;
        match v.as_slice() {
            [] => Ok(None),
            [Item::Node(n)] => Ok(Some(*n)),
            _ => Err(XpError::ty("expected one node")),
        }
    }

    fn call(&mut self, fun: Fun, args: &'a [Expr], f: &Focus<'a>) -> R<Seq<'a>> {
        let one = |a: Atomic<'a>| Ok(vec![Item::Atom(a)]);
        let boolean = |b: bool| Ok(vec![Item::Atom(Atomic::Bool(b))]);
        let string = |s: Str<'a>| Ok(vec![Item::Atom(Atomic::Str(s))]);
        let integer = |i: usize| {
            Ok(vec![Item::Atom(Atomic::Int(
                i128::try_from(i).unwrap_or(i128::MAX),
            ))])
        };
        match fun {
            Fun::Not | Fun::True | Fun::False | Fun::Exists => {
                boolean(self.ebv_call(fun, args, f)?)
            }
            Fun::Boolean => {
                let v = self.eval_arg(args, 0, f)?;
                boolean(ebv(&v)?)
            }
            Fun::Empty => boolean(self.eval_arg(args, 0, f)?.is_empty()),
            Fun::Count => integer(self.eval_arg(args, 0, f)?.len()),
            Fun::NormalizeSpace => {
                let s = self.str_arg_or_context(args, f)?;
                string(normalize_space(s))
            }
            Fun::UpperCase => {
                let s = self.str_arg(args, 0, f)?;
                if s.chars().all(|c| !c.is_lowercase()) {
                    string(s)
                } else {
                    string(Str::owned(s.to_uppercase()))
                }
            }
            Fun::LowerCase => {
                let s = self.str_arg(args, 0, f)?;
                string(Str::owned(s.to_lowercase()))
            }
            Fun::StringLength => {
                let s = self.str_arg_or_context(args, f)?;
                integer(s.chars().count())
            }
            Fun::Substring => {
                let s = self.str_arg(args, 0, f)?;
                let start = self.double_arg(args, 1, f)?.unwrap_or(f64::NAN);
                let len = if args.len() > 2 {
                    Some(self.double_arg(args, 2, f)?.unwrap_or(f64::NAN))
                } else {
                    None
                };
                string(substring(s, start, len))
            }
            Fun::SubstringBefore => {
                let s = self.str_arg(args, 0, f)?;
                let t = self.str_arg(args, 1, f)?;
                match s.find(&*t) {
                    Some(i) => string(Str::owned(s.get(..i).unwrap_or("").to_owned())),
                    None => string(Str::B("")),
                }
            }
            Fun::SubstringAfter => {
                let s = self.str_arg(args, 0, f)?;
                let t = self.str_arg(args, 1, f)?;
                if t.is_empty() {
                    return string(s);
                }
                match s.find(&*t) {
                    Some(i) => string(Str::owned(s.get(i + t.len()..).unwrap_or("").to_owned())),
                    None => string(Str::B("")),
                }
            }
            Fun::Contains => {
                let s = self.str_arg(args, 0, f)?;
                let t = self.str_arg(args, 1, f)?;
                boolean(s.contains(&*t))
            }
            Fun::StartsWith => {
                let s = self.str_arg(args, 0, f)?;
                let t = self.str_arg(args, 1, f)?;
                boolean(s.starts_with(&*t))
            }
            Fun::EndsWith => {
                let s = self.str_arg(args, 0, f)?;
                let t = self.str_arg(args, 1, f)?;
                boolean(s.ends_with(&*t))
            }
            Fun::Concat => {
                let mut out = String::new();
                for a in args {
                    let v = self.eval(a, f)?;
                    if let Some(x) = opt_atomic(&v)? {
                        out.push_str(&x.to_str());
                    }
                }
                string(Str::owned(out))
            }
            Fun::StringJoin => {
                let v = self.eval_arg(args, 0, f)?;
                let sep = if args.len() > 1 {
                    self.str_arg(args, 1, f)?
                } else {
                    Str::B("")
                };
                let parts: Vec<String> =
                    v.iter().map(|i| i.atomize().to_str().to_string()).collect();
                string(Str::owned(parts.join(&sep)))
            }
            Fun::Translate => {
                let s = self.str_arg(args, 0, f)?;
                let from: Vec<char> = self.str_arg(args, 1, f)?.chars().collect();
                let to: Vec<char> = self.str_arg(args, 2, f)?.chars().collect();
                let out: String = s
                    .chars()
                    .filter_map(|c| match from.iter().position(|x| *x == c) {
                        Some(i) => to.get(i).copied(),
                        None => Some(c),
                    })
                    .collect();
                string(Str::owned(out))
            }
            Fun::StringFn => {
                if args.is_empty() {
                    return match &f.item {
                        Some(i) => string(i.string_value()),
                        None => Err(XpError::new("XPDY0002", "the context item is absent")),
                    };
                }
                let v = self.eval_arg(args, 0, f)?;
                match v.as_slice() {
                    [] => string(Str::B("")),
                    [i] => string(i.string_value()),
                    _ => Err(XpError::ty("string() of more than one item")),
                }
            }
            Fun::Number => {
                let v = if args.is_empty() {
                    f.item.clone().into_iter().collect()
                } else {
                    self.eval_arg(args, 0, f)?
                };
                let d = match opt_atomic(&v)? {
                    None => f64::NAN,
                    Some(a) => match a.cast(AtomicType::Double) {
                        Ok(Atomic::Dbl(d)) => d,
                        _ => f64::NAN,
                    },
                };
                one(Atomic::Dbl(d))
            }
            Fun::Sum => {
                let v = self.eval_arg(args, 0, f)?;
                if v.is_empty() {
                    if args.len() > 1 {
                        return self.eval_arg(args, 1, f);
                    }
                    return one(Atomic::Int(0));
                }
                let mut acc: Option<Atomic<'a>> = None;
                for it in &v {
                    let x = numeric_operand(it.atomize())
                        .map_err(|_| XpError::new("FORG0006", "sum() of a non-numeric value"))?;
                    acc = Some(match acc {
                        None => x,
                        Some(a) => arith(ArithOp::Add, a, x)?,
                    });
                }
                Ok(acc.map(Item::Atom).into_iter().collect())
            }
            Fun::Min | Fun::Max | Fun::Avg => {
                let v = self.eval_arg(args, 0, f)?;
                let mut vals = Vec::with_capacity(v.len());
                for it in &v {
                    vals.push(match it.atomize() {
                        Atomic::Untyped(s) => Atomic::Untyped(s).cast(AtomicType::Double)?,
                        other => other,
                    });
                }
                let Some(first) = vals.first().cloned() else {
                    return Ok(Vec::new());
                };
                if fun == Fun::Avg {
                    let mut acc = first;
                    for x in vals.iter().skip(1) {
                        acc = arith(ArithOp::Add, acc, x.clone())?;
                    }
                    let n = Atomic::Int(i128::try_from(vals.len()).unwrap_or(i128::MAX));
                    return one(arith(ArithOp::Div, acc, n)?);
                }
                let mut best = first;
                for x in vals.iter().skip(1) {
                    let better = if fun == Fun::Min {
                        compare(x, &best, CmpOp::Lt)?
                    } else {
                        compare(x, &best, CmpOp::Gt)?
                    };
                    if better {
                        best = x.clone();
                    }
                }
                one(best)
            }
            Fun::Round | Fun::Abs | Fun::Floor | Fun::Ceiling => {
                let v = self.eval_arg(args, 0, f)?;
                let Some(x) = opt_atomic(&v)? else {
                    return Ok(Vec::new());
                };
                let x = numeric_operand(x)?;
                one(rounding(fun, x))
            }
            Fun::StringToCodepoints => {
                let s = self.str_arg(args, 0, f)?;
                Ok(s.chars()
                    .map(|c| Item::Atom(Atomic::Int(i128::from(u32::from(c)))))
                    .collect())
            }
            Fun::CodepointsToString => {
                let v = self.eval_arg(args, 0, f)?;
                let mut out = String::new();
                for it in &v {
                    let i = to_integer_arg(it.atomize())?;
                    let c = u32::try_from(i)
                        .ok()
                        .and_then(char::from_u32)
                        .ok_or_else(|| {
                            XpError::new("FOCH0001", format!("{i} is not a valid XML character"))
                        })?;
                    out.push(c);
                }
                string(Str::owned(out))
            }
            Fun::Name | Fun::LocalName | Fun::NamespaceUri => {
                let n = self.node_arg_or_context(args, f)?;
                let Some(n) = n else {
                    return string(Str::B(""));
                };
                let s = match fun {
                    Fun::Name => Str::owned(n.qname()),
                    Fun::LocalName => Str::B(n.expanded_name().map_or("", |(_, l)| l)),
                    _ => Str::B(n.expanded_name().map_or("", |(u, _)| u)),
                };
                string(s)
            }
            Fun::Reverse => {
                let mut v = self.eval_arg(args, 0, f)?;
                v.reverse();
                Ok(v)
            }
            Fun::Last => integer(f.size),
            Fun::Position => integer(f.pos),
            Fun::DistinctValues => {
                let v = self.eval_arg(args, 0, f)?;
                let mut out: Vec<Atomic<'a>> = Vec::new();
                for it in &v {
                    let a = untyped_to_string(it.atomize());
                    let mut dup = false;
                    for o in &out {
                        if compare(o, &a, CmpOp::Eq).unwrap_or(false) {
                            dup = true;
                            break;
                        }
                    }
                    if !dup {
                        out.push(a);
                    }
                }
                Ok(out.into_iter().map(Item::Atom).collect())
            }
            Fun::Data => {
                let v = self.eval_arg(args, 0, f)?;
                Ok(v.iter().map(|i| Item::Atom(i.atomize())).collect())
            }
            Fun::Root => {
                let n = self.node_arg_or_context(args, f)?;
                Ok(n.map(|n| Item::Node(XNode::of(n.node.document().root())))
                    .into_iter()
                    .collect())
            }
            Fun::Current => match self.let_ctx {
                Some(n) => Ok(vec![Item::Node(n)]),
                None => Ok(vec![Item::Node(self.root())]),
            },
            Fun::Construct(t) => {
                let v = self.eval_arg(args, 0, f)?;
                match opt_atomic(&v)? {
                    None => Ok(Vec::new()),
                    Some(a) => one(a.cast(t)?),
                }
            }
            Fun::Matches | Fun::Tokenize | Fun::Replace => self.regex_call(fun, args, None, f),
        }
    }

    fn ebv_call(&mut self, fun: Fun, args: &'a [Expr], f: &Focus<'a>) -> R<bool> {
        match fun {
            Fun::Not => match args.first() {
                Some(a) => Ok(!self.ebv(a, f)?),
                None => Err(XpError::ty("not() needs an argument")),
            },
            Fun::True => Ok(true),
            Fun::False => Ok(false),
            _ => Ok(!self.eval_arg(args, 0, f)?.is_empty()),
        }
    }

    fn double_arg(&mut self, args: &'a [Expr], i: usize, f: &Focus<'a>) -> R<Option<f64>> {
        let v = self.eval_arg(args, i, f)?;
        let Some(a) = opt_atomic(&v)? else {
            return Ok(None);
        };
        Ok(Some(numeric_operand(a)?.as_f64()))
    }

    fn regex_call(
        &mut self,
        fun: Fun,
        args: &'a [Expr],
        re: Option<&regex::Regex>,
        f: &Focus<'a>,
    ) -> R<Seq<'a>> {
        let input_seq = self.eval_arg(args, 0, f)?;
        let input = string_param(&input_seq)?;
        let compiled: Rc<regex::Regex>;
        let re = match re {
            Some(r) => r,
            None => {
                let pat = self.str_arg(args, 1, f)?;
                compiled = match self.regexes.get(&*pat) {
                    Some(r) => Rc::clone(r),
                    None => {
                        let r = Rc::new(
                            translate_regex(&pat).map_err(|m| XpError::new("FORX0002", m))?,
                        );
                        self.regexes.insert(pat.to_string(), Rc::clone(&r));
                        r
                    }
                };
                &compiled
            }
        };
        match fun {
            Fun::Matches => Ok(vec![Item::Atom(Atomic::Bool(re.is_match(&input)))]),
            Fun::Tokenize => {
                if input_seq.is_empty() || input.is_empty() {
                    return Ok(Vec::new());
                }
                if re.is_match("") {
                    return Err(XpError::new(
                        "FORX0003",
                        "tokenize() pattern matches a zero-length string",
                    ));
                }
                Ok(re
                    .split(&input)
                    .map(|p| Item::Atom(Atomic::Str(Str::owned(p.to_owned()))))
                    .collect())
            }
            _ => {
                if re.is_match("") {
                    return Err(XpError::new(
                        "FORX0003",
                        "replace() pattern matches a zero-length string",
                    ));
                }
                let rep = self.str_arg(args, 2, f)?;
                let rep = translate_replacement(&rep).map_err(|m| XpError::new("FORX0004", m))?;
                Ok(vec![Item::Atom(Atomic::Str(Str::owned(
                    re.replace_all(&input, rep.as_str()).into_owned(),
                )))])
            }
        }
    }

    /// General comparison with XPath 2.0 typing, existential over both operands.
    fn general_compare(&mut self, op: CmpOp, a: &'a Expr, b: &'a Expr, f: &Focus<'a>) -> R<bool> {
        if matches!(op, CmpOp::Eq | CmpOp::Ne) {
            match (a, b) {
                // normalize-space(x) = '' / != '': whether x is blank, without building it.
                (Expr::Call(Fun::NormalizeSpace, args), Expr::Str(lit)) if lit.is_empty() => {
                    let s = self.str_arg_or_context(args, f)?;
                    let blank = s.chars().all(is_xml_space);
                    return Ok(blank == (op == CmpOp::Eq));
                }
                // name() = 'p:local': compared in parts, without formatting the QName.
                (Expr::Call(Fun::Name, none), Expr::Str(lit)) if none.is_empty() => {
                    let n = context_node(f)?;
                    return Ok(n.qname_is(lit) == (op == CmpOp::Eq));
                }
                _ => {}
            }
        }
        if let Expr::Str(lit) = b
            && let Some(found) = self.compare_with_string(op, a, lit, f)?
        {
            return Ok(found);
        }
        let x = self.eval(a, f)?;
        if x.is_empty() {
            // Saxon still evaluates the right operand for its errors only when needed; an empty
            // left side is false whatever the right side holds.
            return Ok(false);
        }
        if let Some(found) = string_list_member(op, &x, b) {
            return Ok(found);
        }
        if let Some(lit) = literal(b) {
            for i in &x {
                let (p, q) = general_pair(i.atomize(), lit.clone())?;
                if compare(&p, &q, op)? {
                    return Ok(true);
                }
            }
            return Ok(false);
        }
        let y = self.eval(b, f)?;
        for i in &x {
            let ai = i.atomize();
            for j in &y {
                let bj = j.atomize();
                let (p, q) = general_pair(ai.clone(), bj)?;
                if compare(&p, &q, op)? {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// The SVRL location of a node, as SchXslt's `schxslt:location` writes it.
    pub(crate) fn location(&self, n: XNode<'a>) -> String {
        let mut segs: Vec<String> = Vec::new();
        if let Some(a) = n.attribute() {
            segs.push(format!("@Q{{{}}}{}", a.namespace().unwrap_or(""), a.name()));
        }
        let mut cur = Some(n.node);
        while let Some(x) = cur {
            match x.node_type() {
                NodeType::Element => {
                    let t = x.tag_name();
                    let pos = 1 + x
                        .prev_siblings()
                        .skip(1)
                        .filter(|s| s.is_element() && s.tag_name() == t)
                        .count();
                    segs.push(format!(
                        "Q{{{}}}{}[{pos}]",
                        t.namespace().unwrap_or(""),
                        t.name()
                    ));
                }
                NodeType::Text => {
                    let pos = 1 + x.prev_siblings().skip(1).filter(|s| s.is_text()).count();
                    segs.push(format!("text()[{pos}]"));
                }
                NodeType::Comment => {
                    let pos = 1 + x.prev_siblings().skip(1).filter(|s| s.is_comment()).count();
                    segs.push(format!("comment()[{pos}]"));
                }
                NodeType::PI => {
                    let name = x.pi().map_or("", |p| p.target);
                    let pos = 1 + x
                        .prev_siblings()
                        .skip(1)
                        .filter(|s| s.pi().is_some_and(|p| p.target == name))
                        .count();
                    segs.push(format!("processing-instruction(\"{name}\")[{pos}]"));
                }
                NodeType::Root => {}
            }
            cur = x.parent();
        }
        segs.reverse();
        format!("/{}", segs.join("/"))
    }
}

/// `x = ('c1', 'c2', …)` (an inlined code list) when every item of `x` atomizes to a
/// string or untyped value: then each pair compares as strings by code point and the
/// comparison is plain membership, answered without building the list as a sequence.
/// `None` when the fast path does not apply (other operator, other operand shapes, or a
/// left item of another type, whose comparison may raise a type error).
fn string_list_member(op: CmpOp, x: &[Item<'_>], b: &Expr) -> Option<bool> {
    let Expr::Seq(codes) = b else {
        return None;
    };
    if op != CmpOp::Eq || !codes.iter().all(|c| matches!(c, Expr::Str(_))) {
        return None;
    }
    // In order, as the general path: an earlier match answers before a later item could
    // raise an error; a non-string item before any match goes to the general path.
    for i in x {
        let (Atomic::Str(s) | Atomic::Untyped(s)) = i.atomize() else {
            return None;
        };
        if codes
            .iter()
            .any(|c| matches!(c, Expr::Str(code) if **code == *s))
        {
            return Some(true);
        }
    }
    Some(false)
}

/// Child steps by name without predicates, the last one possibly an attribute by name.
fn simple_child_path(steps: &[Step]) -> bool {
    let n = steps.len();
    n > 0
        && steps.iter().enumerate().all(|(i, s)| match s {
            Step::Axis(Axis::Child, NodeTest::Name(..), p) => p.is_empty(),
            Step::Axis(Axis::Attribute, NodeTest::Name(..), p) => p.is_empty() && i + 1 == n,
            _ => false,
        })
}

/// A literal operand as an atomic value, without building a sequence.
fn literal(e: &Expr) -> Option<Atomic<'_>> {
    match e {
        Expr::Str(s) => Some(Atomic::Str(Str::B(s))),
        Expr::Int(i) => Some(Atomic::Int(i128::from(*i))),
        Expr::Dec(d) => Some(Atomic::Dec(*d)),
        Expr::Dbl(d) => Some(Atomic::Dbl(*d)),
        _ => None,
    }
}

fn overflow() -> XpError {
    XpError::new("FOAR0002", "numeric overflow")
}

fn context_node<'a>(f: &Focus<'a>) -> R<XNode<'a>> {
    match &f.item {
        Some(Item::Node(n)) => Ok(*n),
        Some(Item::Atom(_)) => Err(XpError::new("XPTY0020", "the context item is not a node")),
        None => Err(XpError::new("XPDY0002", "the context item is absent")),
    }
}

/// Effective boolean value.
pub(crate) fn ebv(v: &[Item<'_>]) -> R<bool> {
    match v {
        [] => Ok(false),
        [Item::Node(_), ..] => Ok(true),
        [Item::Atom(a)] => match a {
            Atomic::Bool(b) => Ok(*b),
            Atomic::Str(s) | Atomic::Untyped(s) => Ok(!s.is_empty()),
            Atomic::Int(i) => Ok(*i != 0),
            Atomic::Dec(d) => Ok(!d.is_zero()),
            Atomic::Dbl(d) => Ok(*d != 0.0 && !d.is_nan()),
            Atomic::Date(_) => Err(XpError::new(
                "FORG0006",
                "no effective boolean value for an xs:date",
            )),
        },
        _ => Err(XpError::new(
            "FORG0006",
            "no effective boolean value for a sequence of more than one atomic value",
        )),
    }
}

/// Atomizes a sequence expected to hold at most one item.
fn opt_atomic<'a>(v: &[Item<'a>]) -> R<Option<Atomic<'a>>> {
    match v {
        [] => Ok(None),
        [one] => Ok(Some(one.atomize())),
        _ => Err(XpError::ty(format!(
            "a sequence of {} items where at most one is allowed",
            v.len()
        ))),
    }
}

/// Function conversion to `xs:string?`: untyped is cast, other types are errors.
fn string_param<'a>(v: &[Item<'a>]) -> R<Str<'a>> {
    match opt_atomic(v)? {
        None => Ok(Str::B("")),
        Some(Atomic::Str(s) | Atomic::Untyped(s)) => Ok(s),
        Some(other) => Err(XpError::ty(format!(
            "expected xs:string, got {}",
            other.ty().name()
        ))),
    }
}

fn untyped_to_string(a: Atomic<'_>) -> Atomic<'_> {
    match a {
        Atomic::Untyped(s) => Atomic::Str(s),
        other => other,
    }
}

/// Arithmetic operand: untyped becomes `xs:double`, non-numbers are errors.
fn numeric_operand(a: Atomic<'_>) -> R<Atomic<'_>> {
    match a {
        Atomic::Untyped(_) => a.cast(AtomicType::Double),
        x if x.is_numeric() => Ok(x),
        other => Err(XpError::ty(format!("arithmetic on {}", other.ty().name()))),
    }
}

fn to_integer_arg(a: Atomic<'_>) -> R<i128> {
    match a {
        Atomic::Int(i) => Ok(i),
        Atomic::Untyped(_) => match a.cast(AtomicType::Integer)? {
            Atomic::Int(i) => Ok(i),
            _ => Err(XpError::ty("expected xs:integer")),
        },
        other => Err(XpError::ty(format!(
            "expected xs:integer, got {}",
            other.ty().name()
        ))),
    }
}

/// Converts the operands of a general comparison pair as XPath 2.0 prescribes.
fn general_pair<'a>(a: Atomic<'a>, b: Atomic<'a>) -> R<(Atomic<'a>, Atomic<'a>)> {
    Ok(match (&a, &b) {
        (Atomic::Untyped(_), Atomic::Untyped(_)) => (untyped_to_string(a), untyped_to_string(b)),
        (Atomic::Untyped(_), y) if y.is_numeric() => (a.cast(AtomicType::Double)?, b),
        (x, Atomic::Untyped(_)) if x.is_numeric() => (a, b.cast(AtomicType::Double)?),
        (Atomic::Untyped(_), Atomic::Str(_)) => (untyped_to_string(a), b),
        (Atomic::Str(_), Atomic::Untyped(_)) => (a, untyped_to_string(b)),
        (Atomic::Untyped(_), y) => {
            let t = y.ty();
            (a.cast(t)?, b)
        }
        (x, Atomic::Untyped(_)) => {
            let t = x.ty();
            let bb = b.cast(t)?;
            (a, bb)
        }
        _ => (a, b),
    })
}

/// Value comparison of two atomic values of comparable types.
fn compare(a: &Atomic<'_>, b: &Atomic<'_>, op: CmpOp) -> R<bool> {
    let ord: Option<Ordering> = match (a, b) {
        (Atomic::Str(x) | Atomic::Untyped(x), Atomic::Str(y) | Atomic::Untyped(y)) => {
            Some((**x).cmp(&**y))
        }
        (Atomic::Bool(x), Atomic::Bool(y)) => Some(x.cmp(y)),
        (Atomic::Date(x), Atomic::Date(y)) => Some(compare_dates(x, y)),
        (Atomic::Int(x), Atomic::Int(y)) => Some(x.cmp(y)),
        (Atomic::Int(_) | Atomic::Dec(_), Atomic::Int(_) | Atomic::Dec(_)) => {
            Some(to_dec(a).cmp(&to_dec(b)))
        }
        (x, y) if x.is_numeric() && y.is_numeric() => x.as_f64().partial_cmp(&y.as_f64()),
        _ => {
            return Err(XpError::ty(format!(
                "cannot compare {} with {}",
                a.ty().name(),
                b.ty().name()
            )));
        }
    };
    Ok(match ord {
        // NaN: every comparison is false except `!=`.
        None => op == CmpOp::Ne,
        Some(o) => match op {
            CmpOp::Eq => o == Ordering::Equal,
            CmpOp::Ne => o != Ordering::Equal,
            CmpOp::Lt => o == Ordering::Less,
            CmpOp::Le => o != Ordering::Greater,
            CmpOp::Gt => o == Ordering::Greater,
            CmpOp::Ge => o != Ordering::Less,
        },
    })
}

fn to_dec(a: &Atomic<'_>) -> Decimal {
    match a {
        Atomic::Int(i) => Decimal::from_i128(*i).unwrap_or(Decimal::MAX),
        Atomic::Dec(d) => *d,
        _ => Decimal::ZERO,
    }
}

/// Binary arithmetic with numeric type promotion.
fn arith<'a>(op: ArithOp, a: Atomic<'a>, b: Atomic<'a>) -> R<Atomic<'a>> {
    let a = numeric_operand(a)?;
    let b = numeric_operand(b)?;
    let div0 = || XpError::new("FOAR0001", "division by zero");
    match (&a, &b) {
        (Atomic::Int(x), Atomic::Int(y)) => {
            let (x, y) = (*x, *y);
            Ok(match op {
                ArithOp::Add => Atomic::Int(x.checked_add(y).ok_or_else(overflow)?),
                ArithOp::Sub => Atomic::Int(x.checked_sub(y).ok_or_else(overflow)?),
                ArithOp::Mul => Atomic::Int(x.checked_mul(y).ok_or_else(overflow)?),
                ArithOp::Div => {
                    if y == 0 {
                        return Err(div0());
                    }
                    Atomic::Dec(
                        Decimal::from_i128(x)
                            .ok_or_else(overflow)?
                            .checked_div(Decimal::from_i128(y).ok_or_else(overflow)?)
                            .ok_or_else(overflow)?,
                    )
                }
                ArithOp::IDiv => Atomic::Int(x.checked_div(y).ok_or_else(div0)?),
                ArithOp::Mod => Atomic::Int(x.checked_rem(y).ok_or_else(div0)?),
            })
        }
        (Atomic::Int(_) | Atomic::Dec(_), Atomic::Int(_) | Atomic::Dec(_)) => {
            let (x, y) = (to_dec(&a), to_dec(&b));
            Ok(match op {
                ArithOp::Add => Atomic::Dec(x.checked_add(y).ok_or_else(overflow)?),
                ArithOp::Sub => Atomic::Dec(x.checked_sub(y).ok_or_else(overflow)?),
                ArithOp::Mul => Atomic::Dec(x.checked_mul(y).ok_or_else(overflow)?),
                ArithOp::Div => {
                    if y.is_zero() {
                        return Err(div0());
                    }
                    Atomic::Dec(x.checked_div(y).ok_or_else(overflow)?)
                }
                ArithOp::IDiv => {
                    if y.is_zero() {
                        return Err(div0());
                    }
                    let q = x.checked_div(y).ok_or_else(overflow)?.trunc();
                    Atomic::Int(q.to_i128().ok_or_else(overflow)?)
                }
                ArithOp::Mod => {
                    if y.is_zero() {
                        return Err(div0());
                    }
                    Atomic::Dec(x.checked_rem(y).ok_or_else(overflow)?)
                }
            })
        }
        _ => {
            let (x, y) = (a.as_f64(), b.as_f64());
            Ok(match op {
                ArithOp::Add => Atomic::Dbl(x + y),
                ArithOp::Sub => Atomic::Dbl(x - y),
                ArithOp::Mul => Atomic::Dbl(x * y),
                ArithOp::Div => Atomic::Dbl(x / y),
                ArithOp::Mod => Atomic::Dbl(x % y),
                ArithOp::IDiv => {
                    if y == 0.0 {
                        return Err(div0());
                    }
                    let q = (x / y).trunc();
                    if !q.is_finite() || q.abs() >= 9.2e18 {
                        return Err(overflow());
                    }
                    #[expect(clippy::cast_possible_truncation, reason = "range checked above")]
                    Atomic::Int(q as i128)
                }
            })
        }
    }
}

fn rounding(fun: Fun, x: Atomic<'_>) -> Atomic<'_> {
    match x {
        Atomic::Int(i) => match fun {
            Fun::Abs => Atomic::Int(i.checked_abs().unwrap_or(i128::MAX)),
            _ => Atomic::Int(i),
        },
        Atomic::Dec(d) => Atomic::Dec(match fun {
            Fun::Abs => d.abs(),
            Fun::Floor => d.floor(),
            Fun::Ceiling => d.ceil(),
            // round(): half towards positive infinity.
            _ => {
                if d.is_sign_negative() {
                    -((-d).round_dp_with_strategy(0, RoundingStrategy::MidpointTowardZero))
                } else {
                    d.round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
                }
            }
        }),
        Atomic::Dbl(d) => Atomic::Dbl(match fun {
            Fun::Abs => d.abs(),
            Fun::Floor => d.floor(),
            Fun::Ceiling => d.ceil(),
            _ => {
                if d.is_nan() || d.is_infinite() || d == 0.0 {
                    d
                } else if (-0.5..0.0).contains(&d) {
                    -0.0
                } else {
                    (d + 0.5).floor()
                }
            }
        }),
        other => other,
    }
}

fn normalize_space(s: Str<'_>) -> Str<'_> {
    let needs = s.starts_with(is_xml_space)
        || s.ends_with(is_xml_space)
        || s.contains(['\t', '\n', '\r'])
        || s.contains("  ");
    if !needs {
        return s;
    }
    let parts: Vec<&str> = s.split(is_xml_space).filter(|p| !p.is_empty()).collect();
    Str::owned(parts.join(" "))
}

/// `substring` with XPath's rounding rules for start and length.
fn substring(s: Str<'_>, start: f64, len: Option<f64>) -> Str<'_> {
    let rs = round_half_up(start);
    let end = match len {
        Some(l) => rs + round_half_up(l),
        None => f64::INFINITY,
    };
    if rs.is_nan() || end.is_nan() {
        return Str::B("");
    }
    let out: String = s
        .chars()
        .enumerate()
        .filter(|(i, _)| {
            let p = (*i + 1) as f64;
            p >= rs && p < end
        })
        .map(|(_, c)| c)
        .collect();
    Str::owned(out)
}

fn round_half_up(d: f64) -> f64 {
    if d.is_nan() || d.is_infinite() {
        d
    } else {
        (d + 0.5).floor()
    }
}

/// Converts a value to a declared sequence type (function conversion rules).
pub(crate) fn convert<'a>(v: Seq<'a>, t: SeqType, what: &str) -> R<Seq<'a>> {
    let card_ok = match t.occ {
        Occ::One => v.len() == 1,
        Occ::Opt => v.len() <= 1,
        Occ::Star => true,
        Occ::Plus => !v.is_empty(),
    };
    if !card_ok {
        return Err(XpError::ty(format!(
            "{what}: {} items do not fit the declared type",
            v.len()
        )));
    }
    match t.item {
        ItemType::Item => Ok(v),
        ItemType::Node => {
            if v.iter().all(|i| matches!(i, Item::Node(_))) {
                Ok(v)
            } else {
                Err(XpError::ty(format!("{what}: expected nodes")))
            }
        }
        ItemType::Atomic(target) => {
            let mut out = Vec::with_capacity(v.len());
            for it in v {
                let a = it.atomize();
                let conv = match (&a, target) {
                    (_, AtomicType::Any) => a,
                    (x, t) if x.ty() == t => a,
                    (Atomic::Untyped(_), t) => a.cast(t)?,
                    (Atomic::Int(_), AtomicType::Decimal) => a,
                    (Atomic::Int(_) | Atomic::Dec(_), AtomicType::Double) => {
                        a.cast(AtomicType::Double)?
                    }
                    _ => {
                        return Err(XpError::ty(format!(
                            "{what}: {} does not match {}",
                            a.ty().name(),
                            target.name()
                        )));
                    }
                };
                out.push(Item::Atom(conv));
            }
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xpath::parse::StaticContext;

    const DOC: &str = r#"<r xmlns:a="urn:a"><a:n>1.10</a:n><a:n>2.20</a:n><b>value</b><c>true</c><d> x  y </d><e/><i>000123</i></r>"#;

    /// Evaluates `src` on DOC with the root element as context; returns the items' string
    /// values joined by `|`, or the error code.
    fn run(src: &str) -> Result<String, &'static str> {
        run_on(DOC, src)
    }

    /// Like [`run`], over `xml`.
    fn run_on(xml: &str, src: &str) -> Result<String, &'static str> {
        let mut cx = StaticContext::default();
        cx.namespaces.insert("a".into(), "urn:a".into());
        cx.namespaces
            .insert("xs".into(), super::super::parse::XS_NS.into());
        let e = cx.compile(src).unwrap();
        let prog = Program {
            names: std::mem::take(&mut cx.names),
            ..Program::default()
        };
        let doc = Document::parse(xml).unwrap();
        let mut ev = Ev::new(&prog, &doc);
        let focus = Focus::node(XNode::of(doc.root_element()));
        let v = ev.eval(&e, &focus).map_err(|e| e.code)?;
        Ok(v.iter()
            .map(|i| i.string_value().to_string())
            .collect::<Vec<_>>()
            .join("|"))
    }

    #[test]
    fn comparison_with_a_list_of_strings_is_membership_in_order() {
        assert_eq!(run("b = ('x', 'value')"), Ok("true".into()));
        assert_eq!(run("b = ('x', 'valu')"), Ok("false".into()));
        assert_eq!(run("a:n = ('2.20', 'z')"), Ok("true".into()), "any node");
        assert_eq!(run("e = ('', 'z')"), Ok("true".into()), "empty element");
        assert_eq!(run("() = ('x', 'y')"), Ok("false".into()));
        assert_eq!(run("(b, 1) = ('value', 'x')"), Ok("true".into()));
        assert_eq!(
            run("(1, b) = ('value', 'x')"),
            Err("XPTY0004"),
            "a number before any match still cannot compare with a string"
        );
        assert_eq!(run("b != ('value', 'value')"), Ok("false".into()));
    }

    #[test]
    fn untyped_compared_with_number_becomes_double() {
        assert_eq!(run("a:n[1] = 1.1"), Ok("true".into()));
        assert_eq!(
            run("a:n = 2.2"),
            Ok("true".into()),
            "existential over both nodes"
        );
        // untyped vs untyped compares as strings: '1.10' is not '1.1'
        assert_eq!(run("a:n[1] = string(1.1)"), Ok("false".into()));
        assert_eq!(
            run("b = 1"),
            Err("FORG0001"),
            "'value' cannot become a double"
        );
    }

    #[test]
    fn untyped_compared_with_boolean_is_cast_and_can_fail() {
        assert_eq!(run("c = true()"), Ok("true".into()));
        assert_eq!(run("b = false()"), Err("FORG0001"));
    }

    #[test]
    fn sum_of_untyped_is_double_and_decimal_stays_exact() {
        assert_eq!(run("sum(a:n)"), Ok("3.3000000000000003".into()));
        assert_eq!(run("sum(a:n/xs:decimal(.))"), Ok("3.3".into()));
        assert_eq!(
            run("xs:decimal(a:n[1]) + xs:decimal(a:n[2]) = 3.3"),
            Ok("true".into())
        );
        assert_eq!(
            run("sum(a:n) = 3.3"),
            Ok("false".into()),
            "double arithmetic, as in Saxon"
        );
        assert_eq!(run("sum(())"), Ok("0".into()));
    }

    #[test]
    fn rounding_and_division() {
        assert_eq!(run("round(2.5)"), Ok("3".into()));
        assert_eq!(run("round(-2.5)"), Ok("-2".into()));
        assert_eq!(
            run("round(xs:decimal('1.005') * 100) div 100"),
            Ok("1.01".into())
        );
        assert_eq!(run("7 div 2"), Ok("3.5".into()));
        assert_eq!(run("7 idiv 2"), Ok("3".into()));
        assert_eq!(run("-7 mod 3"), Ok("-1".into()));
        assert_eq!(run("1 div 0"), Err("FOAR0001"));
        assert_eq!(run("1e0 div 0"), Ok("INF".into()));
    }

    #[test]
    fn casts_and_castable() {
        assert_eq!(run("i castable as xs:integer"), Ok("true".into()));
        assert_eq!(run("xs:integer(i)"), Ok("123".into()));
        assert_eq!(run("'1.5' castable as xs:integer"), Ok("false".into()));
        assert_eq!(run("xs:decimal('1e3')"), Err("FORG0001"));
        assert_eq!(run("xs:date('2024-02-30')"), Err("FORG0001"));
        assert_eq!(
            run("xs:integer('512108001245126199131475') mod 97"),
            Ok("1".into()),
            "an IBAN check needs more than 64 bits"
        );
    }

    #[test]
    fn and_or_short_circuit_left_to_right() {
        assert_eq!(run("false() and (b = 1)"), Ok("false".into()));
        assert_eq!(run("(b = 1) and false()"), Err("FORG0001"));
        assert_eq!(run("true() or (b = 1)"), Ok("true".into()));
    }

    #[test]
    fn cardinality_errors_where_one_value_is_expected() {
        assert_eq!(run("normalize-space(a:n)"), Err("XPTY0004"));
        assert_eq!(run("a:n + 1"), Err("XPTY0004"));
        assert_eq!(run("string-length(12)"), Err("XPTY0004"));
    }

    #[test]
    fn strings_functions() {
        assert_eq!(run("normalize-space(d)"), Ok("x y".into()));
        assert_eq!(run("substring('12345', 0, 3)"), Ok("12".into()));
        assert_eq!(run("substring('12345', 1.5, 2.6)"), Ok("234".into()));
        assert_eq!(run("translate('a-b', '-', '')"), Ok("ab".into()));
        assert_eq!(run("tokenize('a,b,,c', ',')"), Ok("a|b||c".into()));
        assert_eq!(
            run("string-join(for $i in 1 to 3 return $i * 2, '-')"),
            Ok("2-4-6".into())
        );
        assert_eq!(run("matches('x y', '^\\S+\\s\\S+$')"), Ok("true".into()));
        assert_eq!(
            run("replace('2024-01-02', '(\\d+)-(\\d+)-(\\d+)', '$3.$2.$1')"),
            Ok("02.01.2024".into())
        );
        assert_eq!(run("upper-case('de') = 'DE'"), Ok("true".into()));
    }

    #[test]
    fn paths_predicates_and_quantifiers() {
        assert_eq!(run("count(//a:n)"), Ok("2".into()));
        assert_eq!(run("a:n[last()]"), Ok("2.20".into()));
        assert_eq!(run("(a:n, b)[2]"), Ok("2.20".into()));
        assert_eq!(run("every $n in a:n satisfies $n > 1"), Ok("true".into()));
        assert_eq!(run("some $n in a:n satisfies $n > 2"), Ok("true".into()));
        assert_eq!(
            run("exists(e[not(*) and not(normalize-space())])"),
            Ok("true".into())
        );
        assert_eq!(run("name(a:n[1])"), Ok("a:n".into()));
        assert_eq!(run("count(a:n/following-sibling::*)"), Ok("6".into()));
        assert_eq!(run("count(b/preceding-sibling::a:n)"), Ok("2".into()));
    }

    const NESTED: &str = r#"<r xmlns:a="urn:a"><a:n id="1" k="x"><a:n id="2"/></a:n><b k="y"><a:n id="3"/></b><c> </c><d>D</d></r>"#;

    #[test]
    fn indexed_axes_and_shortcuts_keep_their_definitions() {
        let t = |src| run_on(NESTED, src);
        // `//@name` from the attribute index, over the document and within a subtree.
        assert_eq!(t("count(//@k)"), Ok("2".into()));
        assert_eq!(t("count(b//@k)"), Ok("1".into()));
        assert_eq!(t("count(a:n//@id)"), Ok("2".into()));
        assert_eq!(t("exists(//@missing)"), Ok("false".into()));
        // `preceding::name` from the name index: ancestors excluded, document order.
        assert_eq!(
            t("string-join(b/a:n/preceding::a:n/@id, ',')"),
            Ok("1,2".into())
        );
        assert_eq!(t("count(a:n/a:n/preceding::a:n)"), Ok("0".into()));
        assert_eq!(t("(b/a:n/preceding::a:n)[1]/@id"), Ok("1".into()));
        // name() compared and suffix-tested without building it.
        assert_eq!(t("count(*[name() = 'a:n'])"), Ok("1".into()));
        assert_eq!(t("count(*[name() != 'a:n'])"), Ok("3".into()));
        assert_eq!(t("count(//*[name() = 'n'])"), Ok("0".into()));
        assert_eq!(t("count(//*[ends-with(name(), 'n')])"), Ok("3".into()));
        assert_eq!(t("count(//*[ends-with(name(), 'a:n')])"), Ok("3".into()));
        // normalize-space() tested for blankness.
        assert_eq!(t("count(*[normalize-space() = ''])"), Ok("3".into()));
        assert_eq!(t("count(*[normalize-space(.) != ''])"), Ok("1".into()));
        assert_eq!(t("count(*[normalize-space()])"), Ok("1".into()));
        // Child paths compared with a string literal: existential, attributes included.
        assert_eq!(t("d = 'D'"), Ok("true".into()));
        assert_eq!(t("a:n/@id = '1'"), Ok("true".into()));
        assert_eq!(t("a:n/a:n/@id = '1'"), Ok("false".into()));
        assert_eq!(t("b/a:n/@id != '3'"), Ok("false".into()));
        assert_eq!(t("(a:n | b)/a:n/@id = '3'"), Ok("true".into()));
        assert_eq!(t("nothing = ''"), Ok("false".into()));
        // `//x[p]` as descendant::x[p] only for position-free predicates.
        assert_eq!(t("count(//a:n[@id])"), Ok("3".into()));
        assert_eq!(
            t("count(//a:n[1])"),
            Ok("3".into()),
            "first child a:n of each parent"
        );
        assert_eq!(
            t("count(//a:n[some $i in @id satisfies $i = '2'])"),
            Ok("1".into())
        );
    }

    #[test]
    fn nan_comparisons() {
        assert_eq!(run("number('x') = number('x')"), Ok("false".into()));
        assert_eq!(run("number('x') != 1"), Ok("true".into()));
    }
}
