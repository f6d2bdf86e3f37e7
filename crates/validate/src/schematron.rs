//! Reads a SchXslt-compiled Schematron stylesheet (the artefact the KoSIT validator runs)
//! into a typed rule set, and runs it over a document with SchXslt's semantics.
//!
//! What is read: global `xsl:param` / `xsl:variable`, `xsl:function` (executed from their
//! official definitions), and the rule templates of the validation mode: context
//! (`@match`), pattern, rule `let`s, and each `xsl:if` holding a `svrl:failed-assert` or
//! `svrl:successful-report` with its id, flag and message. Everything else in the
//! stylesheet is SchXslt's fixed SVRL boilerplate; an unknown element anywhere that
//! matters is a compile error, so a rule is never skipped silently.
//!
//! The Factur-X profiles come as ISO-skeleton stylesheets instead: one mode `M<n>` per
//! pattern, rule templates ranked by priority, asserts as `xsl:choose` and reports as
//! `xsl:if`, ids and flags in `xsl:attribute` children (none: `UNNAMED`), and code lists
//! read with `document()` from the profile's code database, which are inlined at compile
//! time as comparisons with the list's codes. The same run semantics apply.

use std::collections::HashMap;

use roxmltree::{Document, Node};

use crate::report::{Finding, Severity};
use crate::xpath::XpError;
use crate::xpath::ast::{Axis, Expr, Fun, NameId, NodeTest, Step};
use crate::xpath::eval::{
    Ev, Focus, Global, Instr, ItemType, Occ, PathTrie, Program, SeqType, UserFn,
};
use crate::xpath::parse::{CompileError, FnSig, GlobalBinding, StaticContext, XS_NS};
use crate::xpath::value::{AtomicType, Item, XNode};

const XSL_NS: &str = "http://www.w3.org/1999/XSL/Transform";
const SVRL_NS: &str = "http://purl.oclc.org/dsdl/svrl";
const SCHXSLT_NS: &str = "https://doi.org/10.5281/zenodo.1495494";

/// A compiled rule set (one stylesheet).
#[derive(Debug)]
pub(crate) struct RuleSet {
    prog: Program,
    rules: Vec<Rule>,
    /// Per rule, its existence tests of child paths merged into one trie (see
    /// [`RuleTrie`]); `None` when the rule has too few of them.
    tries: Vec<Option<RuleTrie>>,
    patterns: usize,
    asserts: usize,
}

/// The asserts of a rule whose test is the existence (or, under `not()`, the absence) of
/// a path of child name steps from the context, e.g. the structure checks
/// `not(not(cac:AccountingSupplierParty/cac:Party/cac:X))`: their paths share one trie,
/// walked once per firing, instead of one walk per assert. Such a test cannot fail or
/// depend on anything but the tree, so the verdicts are those of evaluating it.
#[derive(Debug)]
struct RuleTrie {
    trie: PathTrie,
    /// Per assert: the trie node of its path, and whether the test is true when the path
    /// exists (false: when it does not).
    quick: Vec<Option<(usize, bool)>>,
}

/// Fewer existence tests than this in a rule are evaluated one by one.
const MIN_TRIE_TESTS: usize = 4;

impl RuleTrie {
    fn of(rule: &Rule) -> Option<Self> {
        let mut trie = PathTrie::default();
        let mut quick = Vec::with_capacity(rule.asserts.len());
        let mut count = 0;
        for a in &rule.asserts {
            let q = child_path_test(&a.test).map(|(names, positive)| {
                count += 1;
                (trie.insert(&names), positive)
            });
            quick.push(q);
        }
        (count >= MIN_TRIE_TESTS).then_some(Self { trie, quick })
    }
}

/// `path`, `not(path)`, `not(not(path))`, `exists(path)`, `(path)` … where `path` is child
/// name steps from the context item: the names, and whether the test's truth is the
/// path's existence (an even number of `not`).
fn child_path_test(e: &Expr) -> Option<(Vec<NameId>, bool)> {
    let mut negations = 0usize;
    let mut cur = e;
    loop {
        cur = match cur {
            Expr::Call(Fun::Not, args) if args.len() == 1 => {
                negations += 1;
                args.first()?
            }
            Expr::Call(Fun::Exists, args) if args.len() == 1 => args.first()?,
            Expr::Seq(items) if items.len() == 1 => items.first()?,
            Expr::Bool(inner) => inner,
            _ => break,
        };
    }
    let Expr::Path(start, steps) = cur else {
        return None;
    };
    if !matches!(**start, Expr::ContextItem) || steps.is_empty() {
        return None;
    }
    let mut names = Vec::with_capacity(steps.len());
    for step in steps {
        match step {
            Step::Axis(Axis::Child, NodeTest::Name(id, ..), preds)
                if preds.is_empty() && *id != NameId::MAX =>
            {
                names.push(*id);
            }
            _ => return None,
        }
    }
    Some((names, negations.is_multiple_of(2)))
}

#[derive(Debug)]
struct Rule {
    pattern: usize,
    context: Expr,
    lets: Vec<(String, Expr)>,
    asserts: Vec<Assert>,
}

#[derive(Debug)]
struct Assert {
    id: String,
    flag: String,
    /// The `xsl:if` test: true means the finding is reported.
    test: Expr,
    text: Vec<TextPart>,
}

#[derive(Debug)]
enum TextPart {
    Lit(String),
    Value(Expr),
}

fn cerr<T>(what: &str, msg: impl Into<String>) -> Result<T, CompileError> {
    Err(CompileError(format!("{what}: {}", msg.into())))
}

fn is_xsl(n: Node<'_, '_>, local: &str) -> bool {
    n.is_element() && n.tag_name().namespace() == Some(XSL_NS) && n.tag_name().name() == local
}

fn elements<'a, 'i>(n: Node<'a, 'i>) -> impl Iterator<Item = Node<'a, 'i>> {
    n.children().filter(Node::is_element)
}

impl RuleSet {
    /// Compiles a SchXslt or ISO-skeleton stylesheet. `codedbs` are the documents its
    /// `document()` calls may name (Factur-X code lists), as (file name, text).
    pub(crate) fn compile(
        name: &str,
        xslt: &str,
        codedbs: &[(&str, &str)],
    ) -> Result<Self, CompileError> {
        let opts = roxmltree::ParsingOptions {
            allow_dtd: false,
            ..Default::default()
        };
        let rewritten;
        let xslt = if xslt.contains("document('") {
            rewritten = inline_code_lists(name, xslt, codedbs)?;
            rewritten.as_str()
        } else {
            xslt
        };
        let doc = Document::parse_with_options(xslt, opts)
            .map_err(|e| CompileError(format!("{name}: not well-formed: {e}")))?;
        let root = doc.root_element();
        let mut cx = StaticContext::default();
        for ns in root.namespaces() {
            if let Some(p) = ns.name() {
                cx.namespaces.insert(p.to_owned(), ns.uri().to_owned());
            }
        }

        // Pass 1: declare functions and globals so that forward references resolve.
        let mut fn_nodes = Vec::new();
        let mut global_nodes = Vec::new();
        for n in elements(root) {
            if is_xsl(n, "function") {
                let qname = n.attribute("name").unwrap_or("");
                let (prefix, local) = qname.split_once(':').unwrap_or(("", qname));
                let ns = n
                    .lookup_namespace_uri(Some(prefix))
                    .unwrap_or("")
                    .to_owned();
                if ns == SCHXSLT_NS {
                    continue; // schxslt:location: SVRL locations, computed natively.
                }
                let arity = elements(n).filter(|c| is_xsl(*c, "param")).count();
                cx.functions.insert(
                    (ns, local.to_owned()),
                    FnSig {
                        index: fn_nodes.len(),
                        arity,
                    },
                );
                fn_nodes.push(n);
            } else if is_xsl(n, "param") || is_xsl(n, "variable") {
                let vname = n.attribute("name").unwrap_or("");
                if vname.starts_with("schxslt.") || vname == "document-uri" {
                    // SchXslt bookkeeping; the ISO skeleton's `$document-uri` (SVRL output
                    // only). A rule referring to either fails to compile (unknown variable).
                    continue;
                }
                let select = n.attribute("select").unwrap_or("");
                let binding = match string_literal(select) {
                    Some(s) if n.attribute("as").is_none() => GlobalBinding::ConstStr(s.into()),
                    _ => {
                        global_nodes.push(n);
                        GlobalBinding::Slot(global_nodes.len() - 1)
                    }
                };
                cx.globals.insert(vname.to_owned(), binding);
            }
        }

        // Pass 2: compile function bodies and globals.
        let mut functions = Vec::with_capacity(fn_nodes.len());
        for n in &fn_nodes {
            functions.push(compile_function(&mut cx, *n, name)?);
        }
        let mut globals = Vec::with_capacity(global_nodes.len());
        for n in &global_nodes {
            let vname = n.attribute("name").unwrap_or("").to_owned();
            let ty = match n.attribute("as") {
                Some(a) => parse_seq_type(a, *n)
                    .map_err(|m| CompileError(format!("{name}: ${vname}: {m}")))?,
                None => SeqType::ANY,
            };
            let expr = variable_value(&mut cx, *n)
                .map_err(|e| CompileError(format!("{name}: global ${vname}: {}", e.0)))?;
            globals.push(Global {
                name: vname,
                expr,
                ty,
            });
        }

        // Rules: templates of the validation mode, in document order (= priority order).
        let iso_skeleton = elements(root)
            .any(|t| is_xsl(t, "template") && t.attribute("mode").is_some_and(is_iso_pattern_mode));
        let mut iso_priorities: Vec<f64> = Vec::new();
        let mut rules = Vec::new();
        let mut pattern_ids: HashMap<String, usize> = HashMap::new();
        let mut asserts = 0;
        for t in elements(root).filter(|n| is_xsl(*n, "template")) {
            let (Some(m), Some(mode), Some(_)) = (
                t.attribute("match"),
                t.attribute("mode"),
                t.attribute("priority"),
            ) else {
                continue;
            };
            if mode == "#all" {
                continue;
            }
            let rule = if is_iso_pattern_mode(mode) {
                // ISO skeleton: one mode per pattern; the built-in templates of negative
                // priority (skip text, recurse into `@*|*`) are the traversal itself.
                let priority: f64 = t
                    .attribute("priority")
                    .unwrap_or("")
                    .parse()
                    .map_err(|_| CompileError(format!("{name}: rule `{m}`: bad priority")))?;
                if priority < 0.0 {
                    continue;
                }
                iso_priorities.push(priority);
                compile_iso_rule(&mut cx, t, m, mode, &mut pattern_ids, name)?
            } else if iso_skeleton {
                continue; // ISO skeleton helper modes (SVRL locations, generated ids)
            } else {
                compile_rule(&mut cx, t, m, &mut pattern_ids, name)?
            };
            asserts += rule.asserts.len();
            rules.push(rule);
        }
        if iso_skeleton {
            // Within a mode the highest priority wins (XSLT template conflict resolution);
            // `run` takes the first rule per pattern, so order by falling priority.
            let mut order: Vec<(usize, f64, Rule)> = rules
                .into_iter()
                .zip(iso_priorities)
                .map(|(r, p)| (r.pattern, p, r))
                .collect();
            order.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
            rules = order.into_iter().map(|(_, _, r)| r).collect();
        }
        if rules.is_empty() {
            return cerr(
                name,
                "no Schematron rule templates found (not a SchXslt stylesheet?)",
            );
        }
        let prog = Program {
            names: std::mem::take(&mut cx.names),
            globals,
            functions,
        };
        let tries = rules.iter().map(RuleTrie::of).collect();
        Ok(Self {
            prog,
            rules,
            tries,
            patterns: pattern_ids.len(),
            asserts,
        })
    }

    /// Number of rules (contexts) and asserts, for reports and tests.
    pub(crate) fn counts(&self) -> (usize, usize) {
        (self.rules.len(), self.asserts)
    }

    /// Runs every pattern over the document: each node fires the first rule of each
    /// pattern whose context matches it (later rules of that pattern are shadowed).
    pub(crate) fn run<'a>(
        &'a self,
        doc: &'a Document<'a>,
        step: &str,
    ) -> Result<Vec<Finding>, XpError> {
        let mut ev = Ev::new(&self.prog, doc);
        let root = ev.root();
        let focus = Focus::node(root);
        let mut hits: Vec<(XNode<'a>, usize)> = Vec::new();
        ev.set_pattern_mode(true);
        for (ri, rule) in self.rules.iter().enumerate() {
            // A dynamic error while matching a pattern means "no match" (XSLT 3.0 §5.5.4).
            if let Ok(nodes) = ev.eval(&rule.context, &focus) {
                hits.extend(nodes.into_iter().filter_map(|i| match i {
                    Item::Node(n) => Some((n, ri)),
                    Item::Atom(_) => None,
                }));
            }
        }
        ev.set_pattern_mode(false);
        hits.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
        let mut claimed = vec![false; self.patterns];
        let mut last: Option<XNode<'a>> = None;
        let mut findings = Vec::new();
        let mut found: Vec<bool> = Vec::new();
        for (node, ri) in hits {
            if last != Some(node) {
                claimed.iter_mut().for_each(|c| *c = false);
                last = Some(node);
            }
            let Some(rule) = self.rules.get(ri) else {
                continue;
            };
            match claimed.get_mut(rule.pattern) {
                Some(c) if !*c => *c = true,
                _ => continue,
            }
            ev.enter_rule(&rule.lets, node);
            let nf = Focus::node(node);
            let trie = self.tries.get(ri).and_then(Option::as_ref);
            if let Some(t) = trie {
                ev.trie_exists(node, &t.trie, &mut found);
            }
            for (ai, a) in rule.asserts.iter().enumerate() {
                let fired = match trie.and_then(|t| t.quick.get(ai).copied().flatten()) {
                    Some((leaf, positive)) => found.get(leaf).copied().unwrap_or(false) == positive,
                    None => ev.ebv(&a.test, &nf)?,
                };
                if !fired {
                    continue;
                }
                let mut text = String::new();
                for part in &a.text {
                    match part {
                        TextPart::Lit(s) => text.push_str(s),
                        TextPart::Value(e) => {
                            let v = ev.eval(e, &nf)?;
                            let parts: Vec<String> =
                                v.iter().map(|i| i.string_value().to_string()).collect();
                            text.push_str(&parts.join(" "));
                        }
                    }
                }
                let message = text.split_whitespace().collect::<Vec<_>>().join(" ");
                findings.push(Finding {
                    rule: a.id.clone(),
                    severity: Severity::from_flag(&a.flag),
                    flag: a.flag.clone(),
                    step: step.to_owned(),
                    location: ev.location(node),
                    message,
                });
            }
        }
        Ok(findings)
    }
}

/// A select that is a single string literal, e.g. `' 0002 0007 '`.
fn string_literal(select: &str) -> Option<&str> {
    let t = select.trim();
    for q in ['\'', '"'] {
        if let Some(inner) = t.strip_prefix(q).and_then(|s| s.strip_suffix(q))
            && !inner.contains(q)
        {
            return Some(inner);
        }
    }
    None
}

/// The value of an `xsl:variable` / `xsl:param`: `@select`, or text content (untyped), or
/// one `xsl:sequence` child.
fn variable_value(cx: &mut StaticContext, n: Node<'_, '_>) -> Result<Expr, CompileError> {
    if let Some(sel) = n.attribute("select") {
        return cx.compile(sel);
    }
    let kids: Vec<Node<'_, '_>> = elements(n).collect();
    match kids.as_slice() {
        [] => Ok(Expr::Untyped(n.text().unwrap_or("").into())),
        [seq] if is_xsl(*seq, "sequence") => cx.compile(seq.attribute("select").unwrap_or("()")),
        _ => Err(CompileError(format!(
            "variable `{}` has content that is not supported",
            n.attribute("name").unwrap_or("")
        ))),
    }
}

fn parse_seq_type(s: &str, scope: Node<'_, '_>) -> Result<SeqType, String> {
    let s = s.trim();
    let (body, occ) = match s.chars().last() {
        Some('?') => (s.trim_end_matches('?'), Occ::Opt),
        Some('*') => (s.trim_end_matches('*'), Occ::Star),
        Some('+') => (s.trim_end_matches('+'), Occ::Plus),
        _ => (s, Occ::One),
    };
    let item = match body {
        "item()" => ItemType::Item,
        "node()" | "element()" => ItemType::Node,
        _ => {
            let (p, local) = body
                .split_once(':')
                .ok_or_else(|| format!("type `{s}` is not supported"))?;
            if scope.lookup_namespace_uri(Some(p)) != Some(XS_NS) {
                return Err(format!("type `{s}` is not supported"));
            }
            ItemType::Atomic(
                AtomicType::from_xs_local(local)
                    .ok_or_else(|| format!("type `{s}` is not supported"))?,
            )
        }
    };
    Ok(SeqType { item, occ })
}

fn compile_function(
    cx: &mut StaticContext,
    n: Node<'_, '_>,
    set: &str,
) -> Result<UserFn, CompileError> {
    let name = n.attribute("name").unwrap_or("").to_owned();
    let what = format!("{set}: function {name}");
    let ret = match n.attribute("as") {
        Some(a) => parse_seq_type(a, n).map_err(|m| CompileError(format!("{what}: {m}")))?,
        None => SeqType::ANY,
    };
    cx.locals.clear();
    let mut params = Vec::new();
    let mut body_nodes = Vec::new();
    for c in elements(n) {
        if is_xsl(c, "param") {
            let ty = match c.attribute("as") {
                Some(a) => {
                    parse_seq_type(a, c).map_err(|m| CompileError(format!("{what}: {m}")))?
                }
                None => SeqType::ANY,
            };
            params.push(ty);
            cx.locals.push(c.attribute("name").unwrap_or("").to_owned());
        } else {
            body_nodes.push(c);
        }
    }
    let body = compile_body(cx, &body_nodes, &what)?;
    cx.locals.clear();
    Ok(UserFn {
        name,
        params,
        ret,
        body,
    })
}

fn compile_body(
    cx: &mut StaticContext,
    nodes: &[Node<'_, '_>],
    what: &str,
) -> Result<Vec<Instr>, CompileError> {
    let scope_len = cx.locals.len();
    let mut out = Vec::new();
    for c in nodes {
        if is_xsl(*c, "variable") {
            let vname = c.attribute("name").unwrap_or("").to_owned();
            let ty = match c.attribute("as") {
                Some(a) => {
                    parse_seq_type(a, *c).map_err(|m| CompileError(format!("{what}: {m}")))?
                }
                None => SeqType::ANY,
            };
            let kids: Vec<Node<'_, '_>> = elements(*c).collect();
            let instr_content =
                c.attribute("select").is_none() && c.attribute("as").is_some() && !kids.is_empty();
            let slot = cx.locals.len();
            if instr_content {
                let inner = compile_body(cx, &kids, what)?;
                cx.locals.push(vname);
                out.push(Instr::LetBody(slot, inner, ty));
            } else {
                let e = variable_value(cx, *c)
                    .map_err(|e| CompileError(format!("{what}: ${vname}: {}", e.0)))?;
                cx.locals.push(vname);
                out.push(Instr::Let(slot, e, ty));
            }
        } else if is_xsl(*c, "sequence") {
            let e = cx
                .compile(c.attribute("select").unwrap_or("()"))
                .map_err(|e| CompileError(format!("{what}: {}", e.0)))?;
            out.push(Instr::Yield(e));
        } else if is_xsl(*c, "value-of") {
            let e = cx
                .compile(c.attribute("select").unwrap_or("()"))
                .map_err(|e| CompileError(format!("{what}: {}", e.0)))?;
            out.push(Instr::Text(e));
        } else if is_xsl(*c, "choose") {
            let mut whens = Vec::new();
            let mut otherwise = Vec::new();
            for w in elements(*c) {
                let kids: Vec<Node<'_, '_>> = elements(w).collect();
                if is_xsl(w, "when") {
                    let test = cx
                        .compile(w.attribute("test").unwrap_or(""))
                        .map_err(|e| CompileError(format!("{what}: {}", e.0)))?;
                    whens.push((test, compile_body(cx, &kids, what)?));
                } else if is_xsl(w, "otherwise") {
                    otherwise = compile_body(cx, &kids, what)?;
                } else {
                    return cerr(
                        what,
                        format!("unsupported `{}` in xsl:choose", w.tag_name().name()),
                    );
                }
            }
            out.push(Instr::Choose(whens, otherwise));
        } else {
            return cerr(
                what,
                format!("unsupported instruction `{}`", c.tag_name().name()),
            );
        }
    }
    cx.max_locals = cx.max_locals.max(cx.locals.len());
    cx.locals.truncate(scope_len);
    Ok(out)
}

fn compile_rule(
    cx: &mut StaticContext,
    t: Node<'_, '_>,
    pattern_src: &str,
    pattern_ids: &mut HashMap<String, usize>,
    set: &str,
) -> Result<Rule, CompileError> {
    let what = format!("{set}: rule `{pattern_src}`");
    cx.rule_lets.clear();
    cx.locals.clear();
    let context = cx
        .compile(pattern_src)
        .and_then(absolutize)
        .map_err(|e| CompileError(format!("{what}: context: {}", e.0)))?;
    let mut lets = Vec::new();
    let mut rule_el = None;
    for c in elements(t) {
        if is_xsl(c, "param") {
            continue; // schxslt:patterns-matched
        } else if is_xsl(c, "variable") {
            let vname = c.attribute("name").unwrap_or("").to_owned();
            let e = variable_value(cx, c)
                .map_err(|e| CompileError(format!("{what}: let ${vname}: {}", e.0)))?;
            cx.rule_lets.push(vname.clone());
            lets.push((vname, e));
        } else if is_xsl(c, "choose") {
            let otherwise = elements(c).find(|w| is_xsl(*w, "otherwise"));
            rule_el = otherwise.and_then(|o| {
                elements(o).find(|r| {
                    r.tag_name().namespace() == Some(SCHXSLT_NS) && r.tag_name().name() == "rule"
                })
            });
        } else {
            return cerr(
                &what,
                format!("unsupported `{}` in a rule template", c.tag_name().name()),
            );
        }
    }
    let Some(rule_el) = rule_el else {
        return cerr(&what, "no schxslt:rule element");
    };
    let pattern_name = rule_el.attribute("pattern").unwrap_or("").to_owned();
    let next = pattern_ids.len();
    let pattern = *pattern_ids.entry(pattern_name).or_insert(next);
    let mut asserts = Vec::new();
    for c in elements(rule_el) {
        let ns = c.tag_name().namespace();
        if ns == Some(SVRL_NS) && c.tag_name().name() == "fired-rule" {
            continue;
        }
        if !is_xsl(c, "if") {
            return cerr(
                &what,
                format!("unsupported `{}` in schxslt:rule", c.tag_name().name()),
            );
        }
        let test_src = c.attribute("test").unwrap_or("");
        let test = cx
            .compile(test_src)
            .map_err(|e| CompileError(format!("{what}: test `{test_src}`: {}", e.0)))?;
        let Some(out) = elements(c).find(|o| o.tag_name().namespace() == Some(SVRL_NS)) else {
            return cerr(&what, "xsl:if without an SVRL result");
        };
        if !matches!(out.tag_name().name(), "failed-assert" | "successful-report") {
            return cerr(
                &what,
                format!("unsupported SVRL element `{}`", out.tag_name().name()),
            );
        }
        let id = out.attribute("id").unwrap_or("UNNAMED").to_owned();
        let flag = out
            .attribute("flag")
            .or_else(|| out.attribute("role"))
            .unwrap_or("error")
            .to_lowercase();
        let mut text = Vec::new();
        for part in elements(out) {
            if is_xsl(part, "attribute") {
                continue;
            }
            if part.tag_name().namespace() == Some(SVRL_NS) && part.tag_name().name() == "text" {
                for piece in part.children() {
                    if piece.is_text() {
                        text.push(TextPart::Lit(piece.text().unwrap_or("").to_owned()));
                    } else if is_xsl(piece, "value-of") {
                        let e = cx
                            .compile(piece.attribute("select").unwrap_or("()"))
                            .map_err(|e| {
                                CompileError(format!("{what}: message of {id}: {}", e.0))
                            })?;
                        text.push(TextPart::Value(e));
                    } else if piece.is_element() {
                        return cerr(
                            &what,
                            format!(
                                "unsupported `{}` in the message of {id}",
                                piece.tag_name().name()
                            ),
                        );
                    }
                }
            } else {
                return cerr(
                    &what,
                    format!("unsupported `{}` in {id}", part.tag_name().name()),
                );
            }
        }
        asserts.push(Assert {
            id,
            flag,
            test,
            text,
        });
    }
    cx.rule_lets.clear();
    Ok(Rule {
        pattern,
        context,
        lets,
        asserts,
    })
}

/// ISO skeleton pattern modes are `M` followed by digits.
fn is_iso_pattern_mode(mode: &str) -> bool {
    mode.strip_prefix('M')
        .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
}

/// Replaces each Factur-X code-list lookup
/// `document('F')/codedb/cl[@id=N]/enumeration[@value=$v]` by the equivalent general
/// comparison `($v = ('c1', 'c2', …))` over the codes of list N in the named code
/// database (both compare the untyped value as a string). Any other `document()` call
/// is a compile error.
fn inline_code_lists(
    name: &str,
    xslt: &str,
    codedbs: &[(&str, &str)],
) -> Result<String, CompileError> {
    const HEAD: &str = "document('";
    let mut lists: HashMap<(String, String), String> = HashMap::new();
    for (file, text) in codedbs {
        let db = Document::parse_with_options(
            text,
            roxmltree::ParsingOptions {
                allow_dtd: false,
                ..Default::default()
            },
        )
        .map_err(|e| CompileError(format!("{name}: code list {file}: not well-formed: {e}")))?;
        for cl in db.descendants().filter(|n| n.has_tag_name("cl")) {
            let id = cl.attribute("id").unwrap_or("").to_owned();
            let codes: Vec<String> = cl
                .children()
                .filter(|n| n.has_tag_name("enumeration"))
                .filter_map(|n| n.attribute("value"))
                .map(|v| {
                    let lit = v.replace('\'', "''");
                    let lit = lit
                        .replace('&', "&amp;")
                        .replace('<', "&lt;")
                        .replace('"', "&quot;");
                    format!("'{lit}'")
                })
                .collect();
            lists.insert(((*file).to_owned(), id), codes.join(", "));
        }
    }
    let mut out = String::with_capacity(xslt.len() * 2);
    let mut rest = xslt;
    while let Some(at) = rest.find(HEAD) {
        let (before, call) = rest.split_at(at);
        out.push_str(before);
        let parsed = (|| {
            let call = call.strip_prefix(HEAD)?;
            let (file, call) = call.split_once("')/codedb/cl[@id=")?;
            let (id, call) = call.split_once("]/enumeration[@value=$")?;
            let var_len = call
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                .unwrap_or(call.len());
            let (var, call) = call.split_at(var_len);
            let call = call.strip_prefix(']')?;
            Some((file, id, var, call))
        })();
        let Some((file, id, var, after)) = parsed else {
            let snippet: String = call.chars().take(80).collect();
            return cerr(name, format!("unsupported document() call `{snippet}`"));
        };
        let Some(codes) = lists.get(&(file.to_owned(), id.to_owned())) else {
            return cerr(
                name,
                format!("document('{file}') code list {id} is not vendored or does not exist"),
            );
        };
        out.push_str(&format!("(${var} = ({codes}))"));
        rest = after;
    }
    out.push_str(rest);
    Ok(out)
}

/// Compiles one ISO-skeleton rule template: `svrl:fired-rule`, rule variables,
/// `xsl:choose`/`xsl:when`/`xsl:otherwise` asserts, `xsl:if` reports, and the closing
/// `xsl:apply-templates` into `@*|*` of the same mode. Anything else is an error.
fn compile_iso_rule(
    cx: &mut StaticContext,
    t: Node<'_, '_>,
    pattern_src: &str,
    mode: &str,
    pattern_ids: &mut HashMap<String, usize>,
    set: &str,
) -> Result<Rule, CompileError> {
    let what = format!("{set}: rule `{pattern_src}` ({mode})");
    cx.rule_lets.clear();
    cx.locals.clear();
    let context = cx
        .compile(pattern_src)
        .and_then(absolutize)
        .map_err(|e| CompileError(format!("{what}: context: {}", e.0)))?;
    let next = pattern_ids.len();
    let pattern = *pattern_ids.entry(mode.to_owned()).or_insert(next);
    let mut lets = Vec::new();
    let mut asserts = Vec::new();
    for c in elements(t) {
        if c.tag_name().namespace() == Some(SVRL_NS) && c.tag_name().name() == "fired-rule" {
            continue;
        }
        if is_xsl(c, "variable") {
            let vname = c.attribute("name").unwrap_or("").to_owned();
            let e = variable_value(cx, c)
                .map_err(|e| CompileError(format!("{what}: let ${vname}: {}", e.0)))?;
            cx.rule_lets.push(vname.clone());
            lets.push((vname, e));
        } else if is_xsl(c, "apply-templates") {
            if c.attribute("mode") != Some(mode) || c.attribute("select") != Some("@*|*") {
                return cerr(
                    &what,
                    "xsl:apply-templates other than into @*|* of its mode",
                );
            }
        } else if is_xsl(c, "choose") {
            let kids: Vec<Node<'_, '_>> = elements(c).collect();
            let [when, otherwise] = kids.as_slice() else {
                return cerr(
                    &what,
                    "xsl:choose without exactly one when and one otherwise",
                );
            };
            if !is_xsl(*when, "when") || !is_xsl(*otherwise, "otherwise") {
                return cerr(&what, "xsl:choose without when/otherwise");
            }
            if elements(*when).next().is_some() {
                return cerr(&what, "xsl:when with content");
            }
            let src = when.attribute("test").unwrap_or("");
            let test = cx
                .compile(&format!("not({src})"))
                .map_err(|e| CompileError(format!("{what}: test `{src}`: {}", e.0)))?;
            asserts.push(iso_svrl(cx, *otherwise, "failed-assert", test, &what)?);
        } else if is_xsl(c, "if") {
            let src = c.attribute("test").unwrap_or("");
            let test = cx
                .compile(src)
                .map_err(|e| CompileError(format!("{what}: test `{src}`: {}", e.0)))?;
            asserts.push(iso_svrl(cx, c, "successful-report", test, &what)?);
        } else {
            return cerr(
                &what,
                format!("unsupported `{}` in a rule template", c.tag_name().name()),
            );
        }
    }
    cx.rule_lets.clear();
    Ok(Rule {
        pattern,
        context,
        lets,
        asserts,
    })
}

/// The SVRL result inside an ISO-skeleton `xsl:otherwise` / `xsl:if`: id and flag from
/// `xsl:attribute` children (an assert without id is the oracle's `UNNAMED`, level
/// error), message from `svrl:text`.
fn iso_svrl(
    cx: &mut StaticContext,
    holder: Node<'_, '_>,
    want: &str,
    test: Expr,
    what: &str,
) -> Result<Assert, CompileError> {
    let kids: Vec<Node<'_, '_>> = elements(holder).collect();
    let [out] = kids.as_slice() else {
        return cerr(what, format!("expected exactly one svrl:{want}"));
    };
    if out.tag_name().namespace() != Some(SVRL_NS) || out.tag_name().name() != want {
        return cerr(
            what,
            format!(
                "unsupported `{}` instead of svrl:{want}",
                out.tag_name().name()
            ),
        );
    }
    let mut id = out.attribute("id").map(str::to_owned);
    let mut flag = out
        .attribute("flag")
        .or_else(|| out.attribute("role"))
        .map(str::to_owned);
    let mut text = Vec::new();
    for part in elements(*out) {
        if is_xsl(part, "attribute") {
            let value = || {
                if elements(part).next().is_some() {
                    cerr(what, "computed SVRL attribute")
                } else {
                    Ok(part.text().unwrap_or("").trim().to_owned())
                }
            };
            match part.attribute("name") {
                Some("id") => id = Some(value()?),
                Some("flag" | "role") => flag = Some(value()?),
                Some("location") => {}
                other => return cerr(what, format!("unsupported SVRL attribute {other:?}")),
            }
        } else if part.tag_name().namespace() == Some(SVRL_NS) && part.tag_name().name() == "text" {
            for piece in part.children() {
                if piece.is_text() {
                    text.push(TextPart::Lit(piece.text().unwrap_or("").to_owned()));
                } else if is_xsl(piece, "value-of") {
                    let e = cx
                        .compile(piece.attribute("select").unwrap_or("()"))
                        .map_err(|e| CompileError(format!("{what}: message: {}", e.0)))?;
                    text.push(TextPart::Value(e));
                } else if piece.is_element() {
                    return cerr(
                        what,
                        format!("unsupported `{}` in a message", piece.tag_name().name()),
                    );
                }
            }
        } else {
            return cerr(
                what,
                format!("unsupported `{}` in svrl:{want}", part.tag_name().name()),
            );
        }
    }
    Ok(Assert {
        id: id
            .filter(|i| !i.is_empty())
            .unwrap_or_else(|| "UNNAMED".to_owned()),
        flag: flag.unwrap_or_else(|| "error".to_owned()).to_lowercase(),
        test,
        text,
    })
}

/// Turns a match pattern into an expression selecting every node it matches, evaluated
/// from the document node: relative patterns get a leading `//`.
fn absolutize(e: Expr) -> Result<Expr, CompileError> {
    match e {
        Expr::Union(a, b) => Ok(Expr::Union(
            Box::new(absolutize(*a)?),
            Box::new(absolutize(*b)?),
        )),
        Expr::Seq(mut v) if v.len() == 1 => match v.pop() {
            Some(one) => absolutize(one),
            None => Err(CompileError("empty pattern".into())),
        },
        Expr::Root => Ok(Expr::Root),
        // `(P)[pred]` (XSLT 3.0): only position-independent predicates keep their meaning
        // when applied to the set of all matching nodes.
        Expr::Filter(base, preds)
            if preds
                .iter()
                .all(|p| matches!(p, Expr::Bool(_) | Expr::Var(_))) =>
        {
            Ok(Expr::Filter(Box::new(absolutize(*base)?), preds))
        }
        Expr::Path(start, steps) => match *start {
            Expr::Root => Ok(Expr::Path(Box::new(Expr::Root), steps)),
            Expr::ContextItem => {
                let mut all = vec![Step::Axis(
                    Axis::DescendantOrSelf,
                    NodeTest::Node,
                    Vec::new(),
                )];
                all.extend(steps);
                Ok(Expr::Path(
                    Box::new(Expr::Root),
                    crate::xpath::parse::optimise(all),
                ))
            }
            other @ (Expr::Seq(_) | Expr::Union(..) | Expr::Filter(..)) => {
                Ok(Expr::Path(Box::new(absolutize(other)?), steps))
            }
            other => Err(CompileError(format!(
                "pattern starting with {other:?} is not supported"
            ))),
        },
        other => Err(CompileError(format!("pattern {other:?} is not supported"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DB: &str =
        r#"<codedb><cl id="7"><enumeration value="EUR"/><enumeration value="O'K"/></cl></codedb>"#;

    fn iso(rule_body: &str) -> String {
        format!(
            r#"<xsl:stylesheet xmlns:xsl="{XSL_NS}" xmlns:svrl="{SVRL_NS}" version="2.0">
<xsl:template match="//a" mode="M3" priority="1000">{rule_body}<xsl:apply-templates mode="M3" select="@*|*"/></xsl:template>
<xsl:template match="@*|node()" mode="M3" priority="-2"><xsl:apply-templates mode="M3" select="@*|*"/></xsl:template>
</xsl:stylesheet>"#
        )
    }

    fn run(rs: &RuleSet, xml: &str) -> Vec<String> {
        let doc = Document::parse(xml).unwrap();
        let mut ids: Vec<String> = rs
            .run(&doc, "t")
            .unwrap()
            .into_iter()
            .map(|f| format!("{}:{}", f.rule, f.severity.as_str()))
            .collect();
        ids.sort();
        ids
    }

    #[test]
    fn code_lists_are_inlined_and_reports_without_id_are_unnamed() {
        let body = r#"<xsl:variable name="v" select="@c"/>
<xsl:choose><xsl:when test="document('DB.xml')/codedb/cl[@id=7]/enumeration[@value=$v]"/>
<xsl:otherwise><svrl:failed-assert test="x"><xsl:attribute name="id">CL-7</xsl:attribute><svrl:text>bad code</svrl:text></svrl:failed-assert></xsl:otherwise></xsl:choose>
<xsl:if test="@unused"><svrl:successful-report test="@unused"><svrl:text>not used</svrl:text></svrl:successful-report></xsl:if>"#;
        let rs = RuleSet::compile("t", &iso(body), &[("DB.xml", DB)]).unwrap();
        assert_eq!(rs.counts(), (1, 2));
        assert!(run(&rs, r#"<r><a c="EUR"/><a c="O'K"/></r>"#).is_empty());
        assert_eq!(run(&rs, r#"<r><a c="USD"/></r>"#), vec!["CL-7:error"]);
        assert_eq!(
            run(&rs, r#"<r><a c="EUR" unused="1"/></r>"#),
            vec!["UNNAMED:error"]
        );
    }

    #[test]
    fn child_path_existence_tests_share_one_walk_with_the_same_verdicts() {
        let report = |id: &str, test: &str| {
            format!(
                r#"<xsl:if test="{test}"><svrl:successful-report test="x"><xsl:attribute name="id">{id}</xsl:attribute><svrl:text/></svrl:successful-report></xsl:if>"#
            )
        };
        let body = [
            report("HAS-B-C", "not(not(b/c))"),
            report("NO-B-C", "not(b/c)"),
            report("HAS-B-D", "exists(b/d)"),
            report("HAS-E", "(e)"),
            report("NO-B-C-F", "not(b/c/f)"),
            report("HAS-B", "b"),
            report("OTHER", "b/c = 'x'"),
        ]
        .concat();
        let rs = RuleSet::compile("t", &iso(&body), &[]).unwrap();
        let t = rs.tries.first().and_then(Option::as_ref).unwrap();
        let quick = t.quick.iter().filter(|q| q.is_some()).count();
        assert_eq!(quick, 6, "all but the comparison go through the trie");
        assert_eq!(
            run(&rs, r#"<r><a><b><c>x</c><c><f/></c></b></a></r>"#),
            vec!["HAS-B-C:error", "HAS-B:error", "OTHER:error"]
        );
        assert_eq!(
            run(&rs, r#"<r><a><e/><b><d/></b><b><c/></b></a></r>"#),
            vec![
                "HAS-B-C:error",
                "HAS-B-D:error",
                "HAS-B:error",
                "HAS-E:error",
                "NO-B-C-F:error"
            ]
        );
        assert_eq!(
            run(&rs, r#"<r><a/></r>"#),
            vec!["NO-B-C-F:error", "NO-B-C:error"]
        );
    }

    #[test]
    fn higher_priority_rule_of_a_mode_shadows_the_lower_one() {
        let xslt = format!(
            r#"<xsl:stylesheet xmlns:xsl="{XSL_NS}" xmlns:svrl="{SVRL_NS}" version="2.0">
<xsl:template match="//a" mode="M1" priority="999"><xsl:if test="true()"><svrl:successful-report test="true()"><xsl:attribute name="id">LOW</xsl:attribute><svrl:text/></svrl:successful-report></xsl:if></xsl:template>
<xsl:template match="//a[@x]" mode="M1" priority="1000"><xsl:if test="true()"><svrl:successful-report test="true()"><xsl:attribute name="id">HIGH</xsl:attribute><svrl:text/></svrl:successful-report></xsl:if></xsl:template>
</xsl:stylesheet>"#
        );
        let rs = RuleSet::compile("t", &xslt, &[]).unwrap();
        assert_eq!(
            run(&rs, r#"<r><a x="1"/><a/></r>"#),
            vec!["HIGH:error", "LOW:error"]
        );
    }

    #[test]
    fn unsupported_constructs_fail_the_compile() {
        let other_doc = r#"<xsl:if test="document('other.xml')//x"><svrl:successful-report test="x"><svrl:text/></svrl:successful-report></xsl:if>"#;
        let e = RuleSet::compile("t", &iso(other_doc), &[("DB.xml", DB)]).unwrap_err();
        assert!(e.0.contains("document()"), "{}", e.0);
        let unknown_list = r#"<xsl:variable name="v" select="."/><xsl:if test="document('DB.xml')/codedb/cl[@id=99]/enumeration[@value=$v]"><svrl:successful-report test="x"><svrl:text/></svrl:successful-report></xsl:if>"#;
        let e = RuleSet::compile("t", &iso(unknown_list), &[("DB.xml", DB)]).unwrap_err();
        assert!(e.0.contains("code list 99"), "{}", e.0);
        let for_each = r#"<xsl:for-each select="*"/>"#;
        let e = RuleSet::compile("t", &iso(for_each), &[]).unwrap_err();
        assert!(e.0.contains("for-each"), "{}", e.0);
    }
}
