//! Tokeniser and recursive-descent parser for the XPath 2.0 subset the official rules use.
//!
//! The parser resolves as it goes: namespace prefixes to URIs, element names to interned
//! ids, variables to slots and function names to built-ins or user functions. Anything
//! outside the supported subset is a compile error naming the construct: a rule is never
//! silently skipped.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::Arc;

use rust_decimal::Decimal;

use super::ast::{ArithOp, Axis, CmpOp, Expr, Fun, NameId, NodeTest, Step, VarRef};
use super::regex::translate_regex;
use super::value::AtomicType;

/// Namespace URI of XML Schema (constructor functions and cast types).
pub(crate) const XS_NS: &str = "http://www.w3.org/2001/XMLSchema";
/// Namespace URI of the standard function library.
pub(crate) const FN_NS: &str = "http://www.w3.org/2005/xpath-functions";

/// A compile error: what could not be compiled, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CompileError(pub(crate) String);

type CResult<T> = Result<T, CompileError>;

fn err<T>(msg: impl Into<String>) -> CResult<T> {
    Err(CompileError(msg.into()))
}

/// Local name → id within one namespace.
pub(crate) type LocalNames = HashMap<Box<str>, NameId, BuildHasherDefault<Fnv>>;

/// FNV-1a: the name tables are looked up once per element of every document, with short
/// keys, where SipHash's setup dominates. The tables hold only the rules' own names, so a
/// document cannot make them degrade (it only chooses the keys looked up).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// Interned element names of one compiled unit.
#[derive(Debug, Default)]
pub(crate) struct Names {
    /// Namespace URI → local name → id; two levels so that lookups borrow.
    map: HashMap<Box<str>, LocalNames, BuildHasherDefault<Fnv>>,
    count: usize,
}

impl Names {
    /// The id of a (namespace, local) name, interning it.
    pub(crate) fn intern(&mut self, ns: &str, local: &str) -> NameId {
        if let Some(id) = self.get(ns, local) {
            return id;
        }
        let id = NameId::try_from(self.count).unwrap_or(NameId::MAX);
        self.count += 1;
        self.map
            .entry(ns.into())
            .or_default()
            .insert(local.into(), id);
        id
    }

    /// Looks a name up without interning or allocating.
    pub(crate) fn get(&self, ns: &str, local: &str) -> Option<NameId> {
        self.map.get(ns)?.get(local).copied()
    }

    /// The local-name table of one namespace, for callers that look up many names of
    /// the same namespace in a row (the per-document index).
    pub(crate) fn in_namespace(&self, ns: &str) -> Option<&LocalNames> {
        self.map.get(ns)
    }

    /// Number of interned names.
    pub(crate) fn len(&self) -> usize {
        self.count
    }
}

/// What a variable name resolves to at compile time.
#[derive(Debug, Clone)]
pub(crate) enum GlobalBinding {
    /// A global slot.
    Slot(usize),
    /// A global whose value is a string literal: folded into the expression.
    ConstStr(Box<str>),
}

/// A user function signature known to the compiler.
#[derive(Debug, Clone)]
pub(crate) struct FnSig {
    pub(crate) index: usize,
    pub(crate) arity: usize,
}

/// The static context of a compilation: namespaces, variables in scope, functions.
#[derive(Debug, Default)]
pub(crate) struct StaticContext {
    pub(crate) namespaces: HashMap<String, String>,
    pub(crate) globals: HashMap<String, GlobalBinding>,
    pub(crate) rule_lets: Vec<String>,
    pub(crate) locals: Vec<String>,
    /// Highest number of locals alive at once in the current frame.
    pub(crate) max_locals: usize,
    pub(crate) functions: HashMap<(String, String), FnSig>,
    pub(crate) names: Names,
}

impl StaticContext {
    /// Compiles one expression.
    pub(crate) fn compile(&mut self, src: &str) -> CResult<Expr> {
        let toks = lex(src)?;
        let mut p = Parser {
            toks,
            pos: 0,
            cx: self,
            src,
        };
        let e = p.expr()?;
        if !p.at_end() {
            return err(format!(
                "unexpected {} in XPath `{}`",
                p.describe(),
                short(src)
            ));
        }
        Ok(e)
    }

    fn resolve_prefix(&self, prefix: &str) -> CResult<String> {
        match prefix {
            "xml" => Ok("http://www.w3.org/XML/1998/namespace".to_owned()),
            _ => match self.namespaces.get(prefix) {
                Some(u) => Ok(u.clone()),
                None => err(format!("namespace prefix `{prefix}` is not declared")),
            },
        }
    }

    fn push_local(&mut self, name: String) -> usize {
        self.locals.push(name);
        self.max_locals = self.max_locals.max(self.locals.len());
        self.locals.len() - 1
    }
}

fn short(s: &str) -> String {
    let t: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if t.chars().count() > 120 {
        format!("{}…", t.chars().take(120).collect::<String>())
    } else {
        t
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Name(String),
    NsWild(String),
    LocalWild(String),
    Star,
    Var(String),
    Str(String),
    Int(String),
    Dec(String),
    Dbl(String),
    Sym(&'static str),
}

fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | '\u{B7}')
}

fn lex(src: &str) -> CResult<Vec<Tok>> {
    let cs: Vec<char> = src.chars().collect();
    let at = |i: usize| cs.get(i).copied();
    let mut i = 0;
    let mut out = Vec::new();
    while let Some(c) = at(i) {
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '(' && at(i + 1) == Some(':') {
            // Comment, possibly nested.
            let mut depth = 0usize;
            while let Some(d) = at(i) {
                if d == '(' && at(i + 1) == Some(':') {
                    depth += 1;
                    i += 2;
                } else if d == ':' && at(i + 1) == Some(')') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            if depth != 0 {
                return err("unterminated XPath comment");
            }
            continue;
        }
        if c == '\'' || c == '"' {
            let mut s = String::new();
            i += 1;
            loop {
                match at(i) {
                    None => return err("unterminated string literal"),
                    Some(d) if d == c => {
                        if at(i + 1) == Some(c) {
                            s.push(c);
                            i += 2;
                        } else {
                            i += 1;
                            break;
                        }
                    }
                    Some(d) => {
                        s.push(d);
                        i += 1;
                    }
                }
            }
            out.push(Tok::Str(s));
            continue;
        }
        if c.is_ascii_digit() || (c == '.' && at(i + 1).is_some_and(|d| d.is_ascii_digit())) {
            let start = i;
            while at(i).is_some_and(|d| d.is_ascii_digit()) {
                i += 1;
            }
            let mut dec = false;
            if at(i) == Some('.') {
                dec = true;
                i += 1;
                while at(i).is_some_and(|d| d.is_ascii_digit()) {
                    i += 1;
                }
            }
            if matches!(at(i), Some('e' | 'E')) {
                i += 1;
                if matches!(at(i), Some('+' | '-')) {
                    i += 1;
                }
                while at(i).is_some_and(|d| d.is_ascii_digit()) {
                    i += 1;
                }
                out.push(Tok::Dbl(
                    cs.get(start..i).unwrap_or_default().iter().collect(),
                ));
                continue;
            }
            let text: String = cs.get(start..i).unwrap_or_default().iter().collect();
            out.push(if dec { Tok::Dec(text) } else { Tok::Int(text) });
            continue;
        }
        if c == '$' {
            i += 1;
            while at(i).is_some_and(char::is_whitespace) {
                i += 1;
            }
            let (name, next) = lex_qname(&cs, i)
                .ok_or_else(|| CompileError("`$` without a variable name".into()))?;
            i = next;
            out.push(Tok::Var(name));
            continue;
        }
        if c == '*' {
            if at(i + 1) == Some(':') && at(i + 2).is_some_and(is_name_start) {
                let mut j = i + 2;
                while at(j).is_some_and(is_name_char) {
                    j += 1;
                }
                out.push(Tok::LocalWild(
                    cs.get(i + 2..j).unwrap_or_default().iter().collect(),
                ));
                i = j;
            } else {
                out.push(Tok::Star);
                i += 1;
            }
            continue;
        }
        if is_name_start(c) {
            let mut j = i;
            while at(j).is_some_and(is_name_char) {
                j += 1;
            }
            let first: String = cs.get(i..j).unwrap_or_default().iter().collect();
            if at(j) == Some(':') && at(j + 1) == Some('*') {
                out.push(Tok::NsWild(first));
                i = j + 2;
                continue;
            }
            if at(j) == Some(':') && at(j + 1).is_some_and(is_name_start) {
                let mut k = j + 1;
                while at(k).is_some_and(is_name_char) {
                    k += 1;
                }
                let second: String = cs.get(j + 1..k).unwrap_or_default().iter().collect();
                out.push(Tok::Name(format!("{first}:{second}")));
                i = k;
                continue;
            }
            out.push(Tok::Name(first));
            i = j;
            continue;
        }
        let two: String = cs
            .get(i..i + 2)
            .map(|s| s.iter().collect())
            .unwrap_or_default();
        let sym2 = ["//", "::", "..", "!=", "<=", ">=", "<<", ">>", "||", ":="];
        if let Some(s) = sym2.iter().find(|s| **s == two) {
            if *s == "||" || *s == ":=" {
                return err(format!("`{s}` is XPath 3 syntax, not supported"));
            }
            out.push(Tok::Sym(s));
            i += 2;
            continue;
        }
        let sym1 = [
            "(", ")", "[", "]", ",", "/", "@", ".", "=", "<", ">", "+", "-", "|", "?", "!",
        ];
        match sym1.iter().find(|s| s.starts_with(c)) {
            Some(s) => {
                if *s == "!" {
                    return err("`!` (simple map) is XPath 3 syntax, not supported");
                }
                out.push(Tok::Sym(s));
                i += 1;
            }
            None => return err(format!("unexpected character `{c}` in XPath")),
        }
    }
    Ok(out)
}

fn lex_qname(cs: &[char], mut i: usize) -> Option<(String, usize)> {
    let at = |i: usize| cs.get(i).copied();
    if !at(i).is_some_and(is_name_start) {
        return None;
    }
    let start = i;
    while at(i).is_some_and(is_name_char) {
        i += 1;
    }
    if at(i) == Some(':') && at(i + 1).is_some_and(is_name_start) {
        i += 1;
        while at(i).is_some_and(is_name_char) {
            i += 1;
        }
    }
    Some((cs.get(start..i)?.iter().collect(), i))
}

struct Parser<'c> {
    toks: Vec<Tok>,
    pos: usize,
    cx: &'c mut StaticContext,
    src: &'c str,
}

const KIND_TESTS: [&str; 8] = [
    "node",
    "text",
    "comment",
    "processing-instruction",
    "element",
    "attribute",
    "document-node",
    "schema-element",
];

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }
    fn peek_at(&self, k: usize) -> Option<&Tok> {
        self.toks.get(self.pos + k)
    }
    fn at_end(&self) -> bool {
        self.pos >= self.toks.len()
    }
    fn describe(&self) -> String {
        match self.peek() {
            None => "end of expression".into(),
            Some(t) => format!("{t:?}"),
        }
    }
    fn is_sym(&self, s: &str) -> bool {
        matches!(self.peek(), Some(Tok::Sym(x)) if *x == s)
    }
    fn is_name(&self, s: &str) -> bool {
        matches!(self.peek(), Some(Tok::Name(x)) if x == s)
    }
    fn eat_sym(&mut self, s: &str) -> bool {
        if self.is_sym(s) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn eat_name(&mut self, s: &str) -> bool {
        if self.is_name(s) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    fn expect_sym(&mut self, s: &str) -> CResult<()> {
        if self.eat_sym(s) {
            Ok(())
        } else {
            err(format!(
                "expected `{s}`, found {} in XPath `{}`",
                self.describe(),
                short(self.src)
            ))
        }
    }
    fn expect_name(&mut self, s: &str) -> CResult<()> {
        if self.eat_name(s) {
            Ok(())
        } else {
            err(format!(
                "expected `{s}`, found {} in XPath `{}`",
                self.describe(),
                short(self.src)
            ))
        }
    }

    fn expr(&mut self) -> CResult<Expr> {
        let first = self.expr_single()?;
        if !self.is_sym(",") {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.eat_sym(",") {
            items.push(self.expr_single()?);
        }
        Ok(Expr::Seq(items))
    }

    fn expr_single(&mut self) -> CResult<Expr> {
        let next_is_var = matches!(self.peek_at(1), Some(Tok::Var(_)));
        if next_is_var && self.is_name("for") {
            self.pos += 1;
            return self.for_clause();
        }
        if next_is_var && (self.is_name("some") || self.is_name("every")) {
            let every = self.is_name("every");
            self.pos += 1;
            return self.quant_clause(every);
        }
        if self.is_name("if") && matches!(self.peek_at(1), Some(Tok::Sym("("))) {
            self.pos += 2;
            let c = self.expr()?;
            self.expect_sym(")")?;
            self.expect_name("then")?;
            let t = self.expr_single()?;
            self.expect_name("else")?;
            let e = self.expr_single()?;
            return Ok(Expr::If(Box::new(c), Box::new(t), Box::new(e)));
        }
        self.or_expr()
    }

    fn bind_var(&mut self) -> CResult<(String, Expr)> {
        let Some(Tok::Var(name)) = self.peek().cloned() else {
            return err("expected a `$variable`");
        };
        self.pos += 1;
        self.expect_name("in")?;
        let e = self.expr_single()?;
        Ok((name, e))
    }

    fn for_clause(&mut self) -> CResult<Expr> {
        let (name, seq) = self.bind_var()?;
        let slot = self.cx.push_local(name);
        let body = if self.eat_sym(",") {
            self.for_clause()
        } else {
            self.expect_name("return").and_then(|()| self.expr_single())
        };
        self.cx.locals.pop();
        Ok(Expr::For(slot, Box::new(seq), Box::new(body?)))
    }

    fn quant_clause(&mut self, every: bool) -> CResult<Expr> {
        let (name, seq) = self.bind_var()?;
        let slot = self.cx.push_local(name);
        let body = if self.eat_sym(",") {
            self.quant_clause(every)
        } else {
            self.expect_name("satisfies")
                .and_then(|()| self.expr_single())
        };
        self.cx.locals.pop();
        Ok(Expr::Quant(every, slot, Box::new(seq), Box::new(body?)))
    }

    fn or_expr(&mut self) -> CResult<Expr> {
        let mut l = self.and_expr()?;
        while self.eat_name("or") {
            let r = self.and_expr()?;
            l = Expr::Or(Box::new(l), Box::new(r));
        }
        Ok(l)
    }

    fn and_expr(&mut self) -> CResult<Expr> {
        let mut l = self.cmp_expr()?;
        while self.eat_name("and") {
            let r = self.cmp_expr()?;
            l = Expr::And(Box::new(l), Box::new(r));
        }
        Ok(l)
    }

    fn cmp_expr(&mut self) -> CResult<Expr> {
        let l = self.range_expr()?;
        let general = match self.peek() {
            Some(Tok::Sym("=")) => Some(CmpOp::Eq),
            Some(Tok::Sym("!=")) => Some(CmpOp::Ne),
            Some(Tok::Sym("<")) => Some(CmpOp::Lt),
            Some(Tok::Sym("<=")) => Some(CmpOp::Le),
            Some(Tok::Sym(">")) => Some(CmpOp::Gt),
            Some(Tok::Sym(">=")) => Some(CmpOp::Ge),
            Some(Tok::Sym("<<" | ">>")) => {
                return err("node order comparisons `<<` `>>` are not supported");
            }
            _ => None,
        };
        if let Some(op) = general {
            self.pos += 1;
            let r = self.range_expr()?;
            return Ok(Expr::GenCmp(op, Box::new(l), Box::new(r)));
        }
        let val = match self.peek() {
            Some(Tok::Name(n)) => match n.as_str() {
                "eq" => Some(CmpOp::Eq),
                "ne" => Some(CmpOp::Ne),
                "lt" => Some(CmpOp::Lt),
                "le" => Some(CmpOp::Le),
                "gt" => Some(CmpOp::Gt),
                "ge" => Some(CmpOp::Ge),
                "is" => return err("node identity comparison `is` is not supported"),
                _ => None,
            },
            _ => None,
        };
        if let Some(op) = val {
            self.pos += 1;
            let r = self.range_expr()?;
            return Ok(Expr::ValCmp(op, Box::new(l), Box::new(r)));
        }
        Ok(l)
    }

    fn range_expr(&mut self) -> CResult<Expr> {
        let l = self.additive()?;
        if self.eat_name("to") {
            let r = self.additive()?;
            return Ok(Expr::Range(Box::new(l), Box::new(r)));
        }
        Ok(l)
    }

    fn additive(&mut self) -> CResult<Expr> {
        let mut l = self.multiplicative()?;
        loop {
            let op = if self.eat_sym("+") {
                ArithOp::Add
            } else if self.eat_sym("-") {
                ArithOp::Sub
            } else {
                return Ok(l);
            };
            let r = self.multiplicative()?;
            l = Expr::Arith(op, Box::new(l), Box::new(r));
        }
    }

    fn multiplicative(&mut self) -> CResult<Expr> {
        let mut l = self.union()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Star) => ArithOp::Mul,
                Some(Tok::Name(n)) if n == "div" => ArithOp::Div,
                Some(Tok::Name(n)) if n == "idiv" => ArithOp::IDiv,
                Some(Tok::Name(n)) if n == "mod" => ArithOp::Mod,
                _ => return Ok(l),
            };
            self.pos += 1;
            let r = self.union()?;
            l = Expr::Arith(op, Box::new(l), Box::new(r));
        }
    }

    fn union(&mut self) -> CResult<Expr> {
        let mut l = self.intersect()?;
        while self.eat_sym("|") || self.eat_name("union") {
            let r = self.intersect()?;
            l = Expr::Union(Box::new(l), Box::new(r));
        }
        Ok(l)
    }

    fn intersect(&mut self) -> CResult<Expr> {
        let l = self.instance_of()?;
        if self.is_name("intersect") || self.is_name("except") {
            return err("`intersect` / `except` are not supported");
        }
        Ok(l)
    }

    fn instance_of(&mut self) -> CResult<Expr> {
        let l = self.castable()?;
        if self.is_name("instance") || self.is_name("treat") {
            return err("`instance of` / `treat as` are not supported");
        }
        Ok(l)
    }

    fn single_type(&mut self) -> CResult<(AtomicType, bool)> {
        let Some(Tok::Name(n)) = self.peek().cloned() else {
            return err("expected a type name after `as`");
        };
        self.pos += 1;
        let ty = self.atomic_type(&n)?;
        let opt = self.eat_sym("?");
        Ok((ty, opt))
    }

    fn atomic_type(&self, qname: &str) -> CResult<AtomicType> {
        let (prefix, local) = qname.split_once(':').unwrap_or(("", qname));
        let ns = if prefix.is_empty() {
            String::new()
        } else {
            self.cx.resolve_prefix(prefix)?
        };
        if ns != XS_NS {
            return err(format!("unknown type `{qname}`"));
        }
        match AtomicType::from_xs_local(local) {
            Some(t) if t != AtomicType::Any => Ok(t),
            _ => err(format!("type `{qname}` is not supported")),
        }
    }

    fn castable(&mut self) -> CResult<Expr> {
        let l = self.cast()?;
        if self.is_name("castable") && matches!(self.peek_at(1), Some(Tok::Name(n)) if n == "as") {
            self.pos += 2;
            let (t, opt) = self.single_type()?;
            return Ok(Expr::Castable(Box::new(l), t, opt));
        }
        Ok(l)
    }

    fn cast(&mut self) -> CResult<Expr> {
        let l = self.unary()?;
        if self.is_name("cast") && matches!(self.peek_at(1), Some(Tok::Name(n)) if n == "as") {
            self.pos += 2;
            let (t, opt) = self.single_type()?;
            return Ok(Expr::Cast(Box::new(l), t, opt));
        }
        Ok(l)
    }

    fn unary(&mut self) -> CResult<Expr> {
        let mut neg = false;
        let mut any = false;
        loop {
            if self.eat_sym("-") {
                neg = !neg;
                any = true;
            } else if self.eat_sym("+") {
                any = true;
            } else {
                break;
            }
        }
        let e = self.path()?;
        if neg {
            Ok(Expr::Neg(Box::new(e)))
        } else if any {
            // Unary plus still atomizes and checks for a number: model it as `0 + e`... but
            // XPath unary plus keeps the type; `e - 0` would change nothing either way.
            Ok(Expr::Neg(Box::new(Expr::Neg(Box::new(e)))))
        } else {
            Ok(e)
        }
    }

    fn starts_step(&self) -> bool {
        match self.peek() {
            Some(
                Tok::Name(_)
                | Tok::Star
                | Tok::NsWild(_)
                | Tok::LocalWild(_)
                | Tok::Var(_)
                | Tok::Str(_),
            ) => true,
            Some(Tok::Int(_) | Tok::Dec(_) | Tok::Dbl(_)) => true,
            Some(Tok::Sym(s)) => matches!(*s, "@" | "." | ".." | "("),
            None => false,
        }
    }

    fn path(&mut self) -> CResult<Expr> {
        let mut steps = Vec::new();
        let start;
        if self.eat_sym("/") {
            start = Expr::Root;
            if !self.starts_step() {
                return Ok(Expr::Root);
            }
            steps.push(self.step()?);
        } else if self.eat_sym("//") {
            start = Expr::Root;
            steps.push(Step::Axis(
                Axis::DescendantOrSelf,
                NodeTest::Node,
                Vec::new(),
            ));
            steps.push(self.step()?);
        } else {
            let first = self.step()?;
            if !self.is_sym("/") && !self.is_sym("//") {
                return Ok(match first {
                    Step::Filter(e, preds) if preds.is_empty() => e,
                    Step::Filter(e, preds) => Expr::Filter(Box::new(e), preds),
                    axis => Expr::Path(Box::new(Expr::ContextItem), vec![axis]),
                });
            }
            match first {
                Step::Filter(e, preds) => {
                    start = if preds.is_empty() {
                        e
                    } else {
                        Expr::Filter(Box::new(e), preds)
                    };
                }
                axis => {
                    start = Expr::ContextItem;
                    steps.push(axis);
                }
            }
        }
        loop {
            if self.eat_sym("/") {
                steps.push(self.step()?);
            } else if self.eat_sym("//") {
                steps.push(Step::Axis(
                    Axis::DescendantOrSelf,
                    NodeTest::Node,
                    Vec::new(),
                ));
                steps.push(self.step()?);
            } else {
                break;
            }
        }
        Ok(Expr::Path(Box::new(start), optimise(steps)))
    }

    fn step(&mut self) -> CResult<Step> {
        let step = self.step_base()?;
        let mut preds = Vec::new();
        while self.eat_sym("[") {
            let p = self.expr()?;
            preds.push(if is_boolean_predicate(&p) {
                Expr::Bool(Box::new(p))
            } else {
                p
            });
            self.expect_sym("]")?;
        }
        Ok(match step {
            Step::Axis(a, t, _) => Step::Axis(a, t, preds),
            Step::Filter(e, _) => Step::Filter(e, preds),
        })
    }

    fn step_base(&mut self) -> CResult<Step> {
        if self.eat_sym("@") {
            let t = self.node_test(Axis::Attribute)?;
            return Ok(Step::Axis(Axis::Attribute, t, Vec::new()));
        }
        if self.eat_sym("..") {
            return Ok(Step::Axis(Axis::Parent, NodeTest::Node, Vec::new()));
        }
        if let (Some(Tok::Name(n)), Some(Tok::Sym("::"))) = (self.peek().cloned(), self.peek_at(1))
        {
            self.pos += 2;
            let axis = match n.as_str() {
                "child" => Axis::Child,
                "descendant" => Axis::Descendant,
                "descendant-or-self" => Axis::DescendantOrSelf,
                "self" => Axis::SelfAxis,
                "parent" => Axis::Parent,
                "ancestor" => Axis::Ancestor,
                "ancestor-or-self" => Axis::AncestorOrSelf,
                "following-sibling" => Axis::FollowingSibling,
                "preceding-sibling" => Axis::PrecedingSibling,
                "following" => Axis::Following,
                "preceding" => Axis::Preceding,
                "attribute" => Axis::Attribute,
                other => return err(format!("axis `{other}` is not supported")),
            };
            let t = self.node_test(axis)?;
            return Ok(Step::Axis(axis, t, Vec::new()));
        }
        match self.peek().cloned() {
            Some(Tok::Name(n)) => {
                let is_call = matches!(self.peek_at(1), Some(Tok::Sym("(")));
                if is_call && !KIND_TESTS.contains(&n.as_str()) {
                    return Ok(Step::Filter(self.function_call()?, Vec::new()));
                }
                let t = self.node_test(Axis::Child)?;
                let axis = if matches!(t, NodeTest::AttributeKind) {
                    Axis::Attribute
                } else {
                    Axis::Child
                };
                Ok(Step::Axis(axis, t, Vec::new()))
            }
            Some(Tok::Star | Tok::NsWild(_) | Tok::LocalWild(_)) => {
                let t = self.node_test(Axis::Child)?;
                Ok(Step::Axis(Axis::Child, t, Vec::new()))
            }
            _ => Ok(Step::Filter(self.primary()?, Vec::new())),
        }
    }

    fn node_test(&mut self, axis: Axis) -> CResult<NodeTest> {
        let t = self.peek().cloned();
        self.pos += 1;
        match t {
            Some(Tok::Star) => Ok(NodeTest::Any),
            Some(Tok::NsWild(p)) => Ok(NodeTest::NsWild(self.cx.resolve_prefix(&p)?.into())),
            Some(Tok::LocalWild(l)) => Ok(NodeTest::LocalWild(l.into())),
            Some(Tok::Name(n)) => {
                if KIND_TESTS.contains(&n.as_str()) && self.is_sym("(") {
                    self.pos += 1;
                    if !self.eat_sym(")") {
                        return err(format!(
                            "kind test `{n}(...)` with arguments is not supported"
                        ));
                    }
                    return match n.as_str() {
                        "node" => Ok(NodeTest::Node),
                        "text" => Ok(NodeTest::Text),
                        "comment" => Ok(NodeTest::Comment),
                        "processing-instruction" => Ok(NodeTest::Pi),
                        "element" => Ok(NodeTest::Element),
                        "attribute" => Ok(NodeTest::AttributeKind),
                        "document-node" => Ok(NodeTest::Document),
                        _ => err(format!("kind test `{n}()` is not supported")),
                    };
                }
                let (ns, local) = match n.split_once(':') {
                    Some((p, l)) => (self.cx.resolve_prefix(p)?, l.to_owned()),
                    // No default element namespace in the rules: unprefixed means no namespace.
                    None => (String::new(), n.clone()),
                };
                let id = if axis == Axis::Attribute {
                    NameId::MAX
                } else {
                    self.cx.names.intern(&ns, &local)
                };
                Ok(NodeTest::Name(id, ns.into(), local.into()))
            }
            other => err(format!(
                "expected a node test, found {other:?} in XPath `{}`",
                short(self.src)
            )),
        }
    }

    fn primary(&mut self) -> CResult<Expr> {
        let t = self.peek().cloned();
        match t {
            Some(Tok::Str(s)) => {
                self.pos += 1;
                Ok(Expr::Str(s.into()))
            }
            Some(Tok::Int(s)) => {
                self.pos += 1;
                match s.parse::<i64>() {
                    Ok(i) => Ok(Expr::Int(i)),
                    Err(_) => err(format!("integer literal {s} is too large")),
                }
            }
            Some(Tok::Dec(s)) => {
                self.pos += 1;
                let text = if s.starts_with('.') {
                    format!("0{s}")
                } else {
                    s.clone()
                };
                match Decimal::from_str_exact(text.trim_end_matches('.')) {
                    Ok(d) => Ok(Expr::Dec(d)),
                    Err(_) => err(format!("decimal literal {s} is out of range")),
                }
            }
            Some(Tok::Dbl(s)) => {
                self.pos += 1;
                match s.parse::<f64>() {
                    Ok(d) => Ok(Expr::Dbl(d)),
                    Err(_) => err(format!("bad double literal {s}")),
                }
            }
            Some(Tok::Var(name)) => {
                self.pos += 1;
                self.var_ref(&name)
            }
            Some(Tok::Sym("(")) => {
                self.pos += 1;
                if self.eat_sym(")") {
                    return Ok(Expr::Seq(Vec::new()));
                }
                let e = self.expr()?;
                self.expect_sym(")")?;
                // Keep a parenthesised expression distinct so `(a, b)[1]` filters the whole.
                Ok(match e {
                    Expr::Seq(v) => Expr::Seq(v),
                    other => Expr::Seq(vec![other]),
                })
            }
            Some(Tok::Sym(".")) => {
                self.pos += 1;
                Ok(Expr::ContextItem)
            }
            Some(Tok::Name(_)) => self.function_call(),
            other => err(format!(
                "unexpected {other:?} in XPath `{}`",
                short(self.src)
            )),
        }
    }

    fn var_ref(&mut self, name: &str) -> CResult<Expr> {
        if let Some(i) = self.cx.locals.iter().rposition(|n| n == name) {
            return Ok(Expr::Var(VarRef::Local(i)));
        }
        if let Some(i) = self.cx.rule_lets.iter().rposition(|n| n == name) {
            return Ok(Expr::Var(VarRef::RuleLet(i)));
        }
        match self.cx.globals.get(name) {
            Some(GlobalBinding::Slot(i)) => Ok(Expr::Var(VarRef::Global(*i))),
            Some(GlobalBinding::ConstStr(s)) => Ok(Expr::Str(s.clone())),
            None => err(format!("variable `${name}` is not declared")),
        }
    }

    fn function_call(&mut self) -> CResult<Expr> {
        let Some(Tok::Name(qname)) = self.peek().cloned() else {
            return err("expected a function name");
        };
        self.pos += 1;
        self.expect_sym("(")?;
        let mut args = Vec::new();
        if !self.eat_sym(")") {
            loop {
                args.push(self.expr_single()?);
                if self.eat_sym(")") {
                    break;
                }
                self.expect_sym(",")?;
            }
        }
        let (prefix, local) = qname.split_once(':').unwrap_or(("", &qname));
        let ns = if prefix.is_empty() {
            FN_NS.to_owned()
        } else {
            self.cx.resolve_prefix(prefix)?
        };
        if ns == XS_NS {
            let Some(t) = AtomicType::from_xs_local(local).filter(|t| *t != AtomicType::Any) else {
                return err(format!("constructor function `{qname}` is not supported"));
            };
            if args.len() != 1 {
                return err(format!("`{qname}` takes one argument"));
            }
            return Ok(Expr::Call(Fun::Construct(t), args));
        }
        if ns == FN_NS {
            let Some(f) = Fun::lookup(local, args.len()) else {
                return err(format!(
                    "function `{qname}#{}` is not supported",
                    args.len()
                ));
            };
            if matches!(f, Fun::Matches | Fun::Tokenize | Fun::Replace) {
                let re = match args.get(1) {
                    Some(Expr::Str(p)) => Some(Arc::new(translate_regex(p).map_err(CompileError)?)),
                    _ => None,
                };
                return Ok(Expr::RegexCall(f, args, re));
            }
            return Ok(Expr::Call(f, args));
        }
        match self.cx.functions.get(&(ns.clone(), local.to_owned())) {
            Some(sig) if sig.arity == args.len() => Ok(Expr::UserCall(sig.index, args)),
            Some(sig) => err(format!(
                "function `{qname}` takes {} arguments, given {}",
                sig.arity,
                args.len()
            )),
            None => err(format!(
                "function `{qname}` ({{{ns}}}{local}) is not supported"
            )),
        }
    }
}

/// Merges `descendant-or-self::node()/child::T[p]` into `descendant::T[p]` when no
/// predicate depends on position, so that `//name` can use the document's name index.
pub(crate) fn optimise(steps: Vec<Step>) -> Vec<Step> {
    let mut out: Vec<Step> = Vec::with_capacity(steps.len());
    for s in steps {
        let after_dos = matches!(out.last(), Some(Step::Axis(Axis::DescendantOrSelf, NodeTest::Node, p)) if p.is_empty());
        match s {
            Step::Axis(Axis::Child, test, preds)
                if after_dos
                    && !matches!(test, NodeTest::AttributeKind)
                    && preds.iter().all(is_boolean_predicate) =>
            {
                out.pop();
                out.push(Step::Axis(Axis::Descendant, test, preds));
            }
            Step::Axis(Axis::Attribute, test, preds)
                if after_dos && preds.iter().all(is_boolean_predicate) =>
            {
                out.pop();
                out.push(Step::Axis(Axis::SubtreeAttribute, test, preds));
            }
            Step::Filter(e, preds) if after_dos && preds.is_empty() => match to_descendant(e) {
                Ok(d) => {
                    out.pop();
                    out.push(Step::Filter(d, preds));
                }
                Err(e) => out.push(Step::Filter(e, preds)),
            },
            other => out.push(other),
        }
    }
    out
}

/// `(a | b)` of single child steps with boolean predicates, as seen after `//`, becomes
/// `(descendant::a | descendant::b)`; anything else is given back unchanged.
fn to_descendant(e: Expr) -> Result<Expr, Expr> {
    if !union_of_child_steps(&e) {
        return Err(e);
    }
    Ok(rewrite_descendant(e))
}

fn union_of_child_steps(e: &Expr) -> bool {
    match e {
        Expr::Seq(v) => matches!(v.as_slice(), [one] if union_of_child_steps(one)),
        Expr::Union(a, b) => union_of_child_steps(a) && union_of_child_steps(b),
        Expr::Path(start, steps) => {
            matches!(**start, Expr::ContextItem)
                && matches!(steps.as_slice(), [Step::Axis(Axis::Child, t, p)] if !matches!(t, NodeTest::AttributeKind) && p.iter().all(is_boolean_predicate))
        }
        _ => false,
    }
}

fn rewrite_descendant(e: Expr) -> Expr {
    match e {
        Expr::Seq(v) => Expr::Seq(v.into_iter().map(rewrite_descendant).collect()),
        Expr::Union(a, b) => Expr::Union(
            Box::new(rewrite_descendant(*a)),
            Box::new(rewrite_descendant(*b)),
        ),
        Expr::Path(start, steps) => Expr::Path(
            start,
            steps
                .into_iter()
                .map(|s| match s {
                    Step::Axis(Axis::Child, t, p) => Step::Axis(Axis::Descendant, t, p),
                    other => other,
                })
                .collect(),
        ),
        other => other,
    }
}

/// True when a predicate's value is certainly not numeric and does not use the focus
/// position or size, so that filtering does not depend on the sibling grouping.
pub(crate) fn is_boolean_predicate(e: &Expr) -> bool {
    let shape_ok = match e {
        Expr::Or(..)
        | Expr::And(..)
        | Expr::GenCmp(..)
        | Expr::ValCmp(..)
        | Expr::Castable(..)
        | Expr::Quant(..) => true,
        Expr::Path(_, steps) => matches!(steps.last(), Some(Step::Axis(..))),
        Expr::Call(f, _) => matches!(
            f,
            Fun::Not
                | Fun::True
                | Fun::False
                | Fun::Boolean
                | Fun::Exists
                | Fun::Empty
                | Fun::Contains
                | Fun::StartsWith
                | Fun::EndsWith
        ),
        Expr::RegexCall(Fun::Matches, ..) | Expr::Bool(_) => true,
        _ => false,
    };
    shape_ok && !uses_focus_size(e)
}

fn uses_focus_size(e: &Expr) -> bool {
    let any = |v: &[Expr]| v.iter().any(uses_focus_size);
    match e {
        Expr::Call(Fun::Last | Fun::Position, _) => true,
        Expr::Call(_, a) | Expr::RegexCall(_, a, _) | Expr::UserCall(_, a) | Expr::Seq(a) => any(a),
        Expr::Or(a, b)
        | Expr::And(a, b)
        | Expr::GenCmp(_, a, b)
        | Expr::ValCmp(_, a, b)
        | Expr::Range(a, b)
        | Expr::Arith(_, a, b)
        | Expr::Union(a, b) => uses_focus_size(a) || uses_focus_size(b),
        Expr::Neg(a) | Expr::Bool(a) | Expr::Castable(a, ..) | Expr::Cast(a, ..) => {
            uses_focus_size(a)
        }
        Expr::If(a, b, c) => uses_focus_size(a) || uses_focus_size(b) || uses_focus_size(c),
        Expr::For(_, a, b) | Expr::Quant(_, _, a, b) => uses_focus_size(a) || uses_focus_size(b),
        // Paths and filters set a new focus for their own predicates; only the start counts.
        Expr::Path(start, _) => uses_focus_size(start),
        Expr::Filter(base, _) => uses_focus_size(base),
        _ => false,
    }
}
