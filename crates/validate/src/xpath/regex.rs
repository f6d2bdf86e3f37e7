//! Translation of XPath 2.0 / XML Schema regular expressions into the `regex` crate's syntax.
//!
//! The two dialects differ where it matters for invoices: `\s` is only the four XML
//! whitespace characters, `.` excludes both `\n` and `\r`, `\w` is "not punctuation,
//! separator or other", and character classes are plain sets (no `&&`, `--`, `~~`,
//! no POSIX classes). Constructs without a faithful translation are refused.

use regex::Regex;

/// Translates and compiles an XPath regular expression (no flags).
pub(crate) fn translate_regex(pattern: &str) -> Result<Regex, String> {
    let translated = translate(pattern)?;
    regex::RegexBuilder::new(&translated)
        .size_limit(1 << 22)
        .build()
        .map_err(|e| format!("regular expression `{pattern}` does not compile: {e}"))
}

const XML_SPACE: &str = r" \t\n\r";

fn translate(p: &str) -> Result<String, String> {
    let cs: Vec<char> = p.chars().collect();
    let mut out = String::with_capacity(p.len() + 8);
    let mut i = 0;
    let mut in_class = false;
    let mut class_start = false;
    while let Some(&c) = cs.get(i) {
        if c == '\\' {
            let Some(&n) = cs.get(i + 1) else {
                return Err(format!("regular expression `{p}` ends with a backslash"));
            };
            i += 2;
            let piece = match n {
                's' => class_piece(in_class, XML_SPACE, false),
                'S' => class_piece(in_class, XML_SPACE, true),
                'd' => class_piece(in_class, r"\p{Nd}", false),
                'D' => class_piece(in_class, r"\p{Nd}", true),
                'w' => class_piece(in_class, r"\p{P}\p{Z}\p{C}", true),
                'W' => class_piece(in_class, r"\p{P}\p{Z}\p{C}", false),
                'n' => r"\n".to_owned(),
                'r' => r"\r".to_owned(),
                't' => r"\t".to_owned(),
                'p' | 'P' => {
                    // \p{Name}: copy through; the regex crate knows the general categories.
                    let mut s = format!("\\{n}");
                    while let Some(&d) = cs.get(i) {
                        s.push(d);
                        i += 1;
                        if d == '}' {
                            break;
                        }
                    }
                    s
                }
                'i' | 'I' | 'c' | 'C' => {
                    return Err(format!(
                        "`\\{n}` (XML name characters) in `{p}` is not supported"
                    ));
                }
                '1'..='9' => {
                    return Err(format!("back-reference `\\{n}` in `{p}` is not supported"));
                }
                other => escape_char(other),
            };
            out.push_str(&piece);
            class_start = false;
            continue;
        }
        i += 1;
        if in_class {
            match c {
                ']' if !class_start => {
                    in_class = false;
                    out.push(']');
                }
                '[' => {
                    return Err(format!(
                        "character class subtraction or nested class in `{p}` is not supported"
                    ));
                }
                '^' if class_start => out.push('^'),
                '-' => {
                    if cs.get(i) == Some(&'[') {
                        return Err(format!(
                            "character class subtraction in `{p}` is not supported"
                        ));
                    }
                    let next_is_end = cs.get(i) == Some(&']');
                    if class_start || next_is_end {
                        out.push_str(r"\-")
                    } else {
                        out.push('-')
                    }
                }
                '&' | '~' => {
                    out.push('\\');
                    out.push(c);
                }
                _ => out.push(c),
            }
            class_start = class_start && c == '^';
            continue;
        }
        match c {
            '[' => {
                in_class = true;
                class_start = true;
                out.push('[');
            }
            '.' => out.push_str(r"[^\n\r]"),
            '{' => {
                // Quantifier: copy through to the closing brace.
                out.push('{');
                while let Some(&d) = cs.get(i) {
                    out.push(d);
                    i += 1;
                    if d == '}' {
                        break;
                    }
                }
            }
            '(' if cs.get(i) == Some(&'?') => {
                return Err(format!("`(?` groups in `{p}` are not XPath 2.0 syntax"));
            }
            _ => out.push(c),
        }
    }
    if in_class {
        return Err(format!("unterminated character class in `{p}`"));
    }
    Ok(out)
}

fn class_piece(in_class: bool, set: &str, negated: bool) -> String {
    match (in_class, negated) {
        (false, false) => format!("[{set}]"),
        (false, true) => format!("[^{set}]"),
        (true, false) => set.to_owned(),
        // A negated class inside a class: the regex crate accepts a nested class.
        (true, true) => format!("[^{set}]"),
    }
}

fn escape_char(c: char) -> String {
    if c.is_ascii_punctuation() {
        format!("\\{c}")
    } else {
        c.to_string()
    }
}

/// Translates an XPath replacement string (`$1`, `\$`, `\\`) into the regex crate's form.
pub(crate) fn translate_replacement(r: &str) -> Result<String, String> {
    let cs: Vec<char> = r.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while let Some(&c) = cs.get(i) {
        match c {
            '\\' => match cs.get(i + 1) {
                Some('\\') => {
                    out.push('\\');
                    i += 2;
                }
                Some('$') => {
                    out.push_str("$$");
                    i += 2;
                }
                _ => return Err(format!("FORX0004: invalid replacement string `{r}`")),
            },
            '$' => {
                let mut j = i + 1;
                while cs.get(j).is_some_and(char::is_ascii_digit) {
                    j += 1;
                }
                if j == i + 1 {
                    return Err(format!("FORX0004: invalid replacement string `{r}`"));
                }
                let digits: String = cs.get(i + 1..j).unwrap_or_default().iter().collect();
                out.push_str(&format!("${{{digits}}}"));
                i = j;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whitespace_class_is_xml_whitespace_only() {
        let re = translate_regex(r"^\s+$").unwrap();
        assert!(re.is_match(" \t\n"));
        assert!(
            !re.is_match("\u{A0}"),
            "no-break space is not XML whitespace"
        );
    }

    #[test]
    fn dot_excludes_carriage_return() {
        let re = translate_regex("^a.b$").unwrap();
        assert!(re.is_match("axb"));
        assert!(!re.is_match("a\rb"));
    }

    #[test]
    fn class_hyphens_and_skonto_pattern() {
        let re = translate_regex(r"^([a-zA-Z])([a-zA-Z0-9+.-])+:.*").unwrap();
        assert!(re.is_match("https://example.org"));
        let sk = translate_regex(r"(^|\r?\n)#(SKONTO)#TAGE=([0-9]+#PROZENT=[0-9]+\.[0-9]{2})(#BASISBETRAG=-?[0-9]+\.[0-9]{2})?#$").unwrap();
        assert!(sk.is_match("#SKONTO#TAGE=7#PROZENT=2.00#"));
        assert!(!sk.is_match("#SKONTO#TAGE=7#PROZENT=2.0#"));
    }

    #[test]
    fn unsupported_constructs_fail_loudly() {
        assert!(translate_regex("[a-z-[aeiou]]").is_err());
        assert!(translate_regex(r"\i\c*").is_err());
        assert!(translate_regex(r"(a)\1").is_err());
    }

    #[test]
    fn replacement_groups() {
        assert_eq!(translate_replacement("$1a").unwrap(), "${1}a");
        assert_eq!(translate_replacement(r"\$").unwrap(), "$$");
    }
}
