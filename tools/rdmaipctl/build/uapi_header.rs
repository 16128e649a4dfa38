// SPDX-License-Identifier: GPL-2.0

//! Reads the constants out of a ynl-generated uapi header
//! (`include/uapi/linux/rdmaip.h`) and writes them as Rust.
//!
//! Used by `build.rs` at build time, and compiled into the crate's unit
//! tests (`uapi.rs`) to test the parser itself. It is pure: text in, text
//! out, every failure an `Err` that says which line of the header is
//! wrong.
//!
//! The parser knows the small part of C that such headers use: comments,
//! `#define NAME VALUE` (a string, or an integer expression), and `enum`
//! definitions whose enumerators have implicit values (previous + 1,
//! starting at 0) or explicit ones (integer expressions that may name
//! earlier constants). Everything else (include guards, `#include`,
//! structs) is skipped.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The value of a `#define`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Define {
    Int(i64),
    Str(String),
}

/// One `enum` of the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enum {
    /// The tag of `enum tag { ... }`; `None` for an anonymous enum.
    pub tag: Option<String>,
    /// Enumerators in the order written, with their values.
    pub values: Vec<(String, i64)>,
    /// Line of the `enum` keyword, for messages.
    pub line: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Header {
    /// `#define`s with a string or integer value, in the order written.
    pub defines: Vec<(String, Define)>,
    pub enums: Vec<Enum>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Ident(String),
    Int(i64),
    Str(String),
    Punct(&'static str),
}

/// Punctuation the parser understands; longest first.
const PUNCT: &[&str] = &[
    "<<", ">>", "{", "}", "(", ")", ",", ";", "=", "+", "-", "|", "&", "~", "*",
];

/// Removes comments, keeping newlines so that line numbers stay right.
fn strip_comments(text: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut line = 1;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("/*") {
            let end = after
                .find("*/")
                .ok_or_else(|| format!("line {line}: comment never closed"))?;
            let comment = &after[..end];
            let newlines = comment.matches('\n').count();
            line += newlines;
            out.push(' ');
            out.extend(std::iter::repeat_n('\n', newlines));
            rest = &after[end + 2..];
        } else if rest.starts_with("//") {
            let end = rest.find('\n').unwrap_or(rest.len());
            rest = &rest[end..];
        } else if rest.starts_with('"') {
            // Copy a string literal whole: it may contain "/*".
            let end =
                string_end(rest).ok_or_else(|| format!("line {line}: string never closed"))?;
            out.push_str(&rest[..end]);
            rest = &rest[end..];
        } else {
            let c = rest.chars().next().unwrap_or_default();
            if c == '\n' {
                line += 1;
            }
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    Ok(out)
}

/// The length of the string literal `s` starts with, quotes included.
fn string_end(s: &str) -> Option<usize> {
    let mut escaped = false;
    for (i, c) in s.char_indices().skip(1) {
        match c {
            '\n' => return None,
            '\\' if !escaped => escaped = true,
            '"' if !escaped => return Some(i + 1),
            _ => escaped = false,
        }
    }
    None
}

fn unescape(literal: &str, line: usize) -> Result<String, String> {
    let inner = &literal[1..literal.len() - 1];
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some(c @ ('\\' | '"' | '\'')) => out.push(c),
            other => return Err(format!("line {line}: unsupported escape \\{other:?}")),
        }
    }
    Ok(out)
}

fn parse_int(word: &str, line: usize) -> Result<i64, String> {
    let digits = word.trim_end_matches(['u', 'U', 'l', 'L']);
    let parsed = if let Some(hex) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        i64::from_str_radix(hex, 16)
    } else if digits.len() > 1 && digits.starts_with('0') {
        i64::from_str_radix(&digits[1..], 8)
    } else {
        digits.parse()
    };
    parsed.map_err(|_| format!("line {line}: bad number \"{word}\""))
}

/// Splits code (comments removed, no preprocessor lines) into tokens with
/// their line numbers.
fn tokenize(code: &str, first_line: usize) -> Result<Vec<(Tok, usize)>, String> {
    let mut toks = Vec::new();
    let mut line = first_line;
    let mut rest = code;
    while let Some(c) = rest.chars().next() {
        if c == '\n' {
            line += 1;
            rest = &rest[1..];
        } else if c.is_whitespace() {
            rest = &rest[c.len_utf8()..];
        } else if c.is_ascii_alphabetic() || c == '_' {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            toks.push((Tok::Ident(rest[..end].to_string()), line));
            rest = &rest[end..];
        } else if c.is_ascii_digit() {
            let end = rest
                .find(|c: char| !c.is_ascii_alphanumeric())
                .unwrap_or(rest.len());
            toks.push((Tok::Int(parse_int(&rest[..end], line)?), line));
            rest = &rest[end..];
        } else if c == '"' {
            let end =
                string_end(rest).ok_or_else(|| format!("line {line}: string never closed"))?;
            toks.push((Tok::Str(unescape(&rest[..end], line)?), line));
            rest = &rest[end..];
        } else if let Some(p) = PUNCT.iter().find(|p| rest.starts_with(**p)) {
            toks.push((Tok::Punct(p), line));
            rest = &rest[p.len()..];
        } else {
            // Something the parser never needs to understand (`[`, `:`,
            // ...): keep it as an opaque token so that skipping works.
            toks.push((Tok::Punct("?"), line));
            rest = &rest[c.len_utf8()..];
        }
    }
    Ok(toks)
}

/// Integer expressions: `|`, `&`, shifts, `+ -`, `*`, unary `- ~`,
/// parentheses, numbers and names of earlier constants.
struct Expr<'a> {
    toks: &'a [(Tok, usize)],
    at: usize,
    known: &'a BTreeMap<String, i64>,
    line: usize,
}

impl Expr<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at).map(|(t, _)| t)
    }

    fn eat(&mut self, p: &'static str) -> bool {
        if self.peek() == Some(&Tok::Punct(p)) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn err(&self, what: &str) -> String {
        format!("line {}: {what}", self.line)
    }

    fn overflow(&self) -> String {
        self.err("integer overflow in expression")
    }

    fn binary(
        &mut self,
        ops: &[&'static str],
        next: fn(&mut Self) -> Result<i64, String>,
    ) -> Result<i64, String> {
        let mut value = next(self)?;
        'outer: loop {
            for &op in ops {
                if self.eat(op) {
                    let rhs = next(self)?;
                    value = match op {
                        "|" => value | rhs,
                        "&" => value & rhs,
                        "+" => value.checked_add(rhs).ok_or_else(|| self.overflow())?,
                        "-" => value.checked_sub(rhs).ok_or_else(|| self.overflow())?,
                        "*" => value.checked_mul(rhs).ok_or_else(|| self.overflow())?,
                        "<<" => u32::try_from(rhs)
                            .ok()
                            .and_then(|r| value.checked_shl(r))
                            .filter(|v| v >> rhs == value)
                            .ok_or_else(|| self.overflow())?,
                        ">>" => u32::try_from(rhs)
                            .ok()
                            .and_then(|r| value.checked_shr(r))
                            .ok_or_else(|| self.overflow())?,
                        _ => unreachable!("operator {op}"),
                    };
                    continue 'outer;
                }
            }
            return Ok(value);
        }
    }

    fn or(&mut self) -> Result<i64, String> {
        self.binary(&["|"], Self::and)
    }

    fn and(&mut self) -> Result<i64, String> {
        self.binary(&["&"], Self::shift)
    }

    fn shift(&mut self) -> Result<i64, String> {
        self.binary(&["<<", ">>"], Self::additive)
    }

    fn additive(&mut self) -> Result<i64, String> {
        self.binary(&["+", "-"], Self::multiplicative)
    }

    fn multiplicative(&mut self) -> Result<i64, String> {
        self.binary(&["*"], Self::unary)
    }

    fn unary(&mut self) -> Result<i64, String> {
        if self.eat("-") {
            return self.unary()?.checked_neg().ok_or_else(|| self.overflow());
        }
        if self.eat("~") {
            return Ok(!self.unary()?);
        }
        if self.eat("(") {
            let value = self.or()?;
            if !self.eat(")") {
                return Err(self.err("expected )"));
            }
            return Ok(value);
        }
        let tok = self.peek().cloned();
        self.at += 1;
        match tok {
            Some(Tok::Int(v)) => Ok(v),
            Some(Tok::Ident(name)) => self
                .known
                .get(&name)
                .copied()
                .ok_or_else(|| self.err(&format!("unknown name {name} in expression"))),
            other => Err(self.err(&format!("unexpected {other:?} in expression"))),
        }
    }
}

/// Evaluates the whole of `toks` as one integer expression.
fn evaluate(
    toks: &[(Tok, usize)],
    known: &BTreeMap<String, i64>,
    line: usize,
) -> Result<i64, String> {
    let mut e = Expr {
        toks,
        at: 0,
        known,
        line,
    };
    let value = e.or()?;
    if e.at != toks.len() {
        return Err(e.err("trailing tokens after expression"));
    }
    Ok(value)
}

/// Reads the enums out of `toks` (code without preprocessor lines).
fn parse_enums(
    toks: &[(Tok, usize)],
    known: &mut BTreeMap<String, i64>,
    enums: &mut Vec<Enum>,
) -> Result<(), String> {
    let mut i = 0;
    while i < toks.len() {
        if toks[i].0 != Tok::Ident("enum".into()) {
            i += 1;
            continue;
        }
        let line = toks[i].1;
        i += 1;
        let tag = match toks.get(i) {
            Some((Tok::Ident(t), _)) => {
                i += 1;
                Some(t.clone())
            }
            _ => None,
        };
        if toks.get(i).map(|t| &t.0) != Some(&Tok::Punct("{")) {
            // `enum tag` used as a type, not a definition.
            continue;
        }
        i += 1;
        let close = toks[i..]
            .iter()
            .position(|t| t.0 == Tok::Punct("}"))
            .map(|p| i + p)
            .ok_or_else(|| format!("line {line}: enum never closed"))?;
        let mut values = Vec::new();
        let mut next = 0i64;
        for item in toks[i..close].split(|t| t.0 == Tok::Punct(",")) {
            let Some(((first, item_line), rest)) = item.split_first() else {
                continue; // the trailing comma
            };
            let Tok::Ident(name) = first else {
                return Err(format!("line {item_line}: expected an enumerator name"));
            };
            let value = match rest.split_first() {
                None => next,
                Some(((Tok::Punct("="), _), expr)) => evaluate(expr, known, *item_line)?,
                Some(_) => return Err(format!("line {item_line}: expected = or , after {name}")),
            };
            if known.insert(name.clone(), value).is_some() {
                return Err(format!("line {item_line}: {name} defined twice"));
            }
            values.push((name.clone(), value));
            next = value
                .checked_add(1)
                .ok_or_else(|| format!("line {item_line}: enumerator overflows"))?;
        }
        enums.push(Enum { tag, values, line });
        i = close + 1;
    }
    Ok(())
}

/// Parses the header's `#define`s and enums.
pub fn parse(text: &str) -> Result<Header, String> {
    let code = strip_comments(text)?;
    let mut header = Header::default();
    let mut known = BTreeMap::new();
    // Preprocessor lines (with their continuations) are read one by one;
    // the code between them is tokenized in chunks, so that a define may
    // use an enumerator above it and the other way round.
    let mut chunk = String::new();
    let mut chunk_line = 1;
    let mut lines = code.split('\n').enumerate().map(|(n, l)| (n + 1, l));
    while let Some((number, line)) = lines.next() {
        let Some(directive) = line.trim_start().strip_prefix('#') else {
            if chunk.is_empty() {
                chunk_line = number;
            }
            chunk.push_str(line);
            chunk.push('\n');
            continue;
        };
        let toks = tokenize(&chunk, chunk_line)?;
        parse_enums(&toks, &mut known, &mut header.enums)?;
        chunk.clear();
        let mut directive = directive.to_string();
        while directive.ends_with('\\') {
            directive.pop();
            match lines.next() {
                Some((_, more)) => directive.push_str(more),
                None => break,
            }
        }
        let toks = tokenize(&directive, number)?;
        let [(Tok::Ident(keyword), _), (Tok::Ident(name), _), value @ ..] = toks.as_slice() else {
            continue;
        };
        if keyword != "define" {
            continue;
        }
        // `#define NAME(args) ...` is a macro, not a constant.
        if directive
            .trim_start()
            .strip_prefix("define")
            .map(str::trim_start)
            .and_then(|d| d.strip_prefix(name.as_str()))
            .is_some_and(|d| d.starts_with('('))
        {
            continue;
        }
        let define = match value {
            [] => continue, // include guards
            [(Tok::Str(s), _)] => Define::Str(s.clone()),
            expr => Define::Int(evaluate(expr, &known, number)?),
        };
        if let Define::Int(v) = define {
            if known.insert(name.clone(), v).is_some() {
                return Err(format!("line {number}: {name} defined twice"));
            }
        }
        header.defines.push((name.clone(), define));
    }
    let toks = tokenize(&chunk, chunk_line)?;
    parse_enums(&toks, &mut known, &mut header.enums)?;
    Ok(header)
}

/// How one enum of the header is written in Rust.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shape {
    /// The enumerators' common prefix, e.g. `RDMAIP_A_GROUP_`.
    pub prefix: String,
    /// The Rust module, e.g. `group_attr`.
    pub module: String,
    /// The Rust type of the values.
    pub ty: &'static str,
    pub doc: String,
    /// Enumerators without the prefix, with their values (no max markers).
    pub values: Vec<(String, i64)>,
}

/// Decides an enum's module and type by ynl's conventions, for family
/// prefix `family` (`RDMAIP_`):
/// - commands (`__RDMAIP_CMD_MAX`) are `cmd`, `u8` (`genlmsghdr.cmd`);
/// - an attribute set (`__RDMAIP_A_GROUP_MAX`) is `group_attr`, `u16`
///   (`nlattr.nla_type`);
/// - a named enum (`enum rdmaip_port_state`) is `port_state`, `u32` (the
///   type of enum attributes).
pub fn shape(e: &Enum, family: &str) -> Result<Shape, String> {
    let sentinel = e
        .values
        .iter()
        .find_map(|(name, _)| name.strip_prefix("__")?.strip_suffix("MAX"));
    let prefix = match (sentinel, &e.tag) {
        (Some(prefix), _) => prefix.to_string(),
        (None, Some(tag)) => format!("{}_", tag.to_uppercase()),
        (None, None) => {
            return Err(format!(
                "line {}: an anonymous enum without a __*_MAX marker",
                e.line
            ))
        }
    };
    let Some(kind) = prefix.strip_prefix(family) else {
        return Err(format!(
            "line {}: enum prefix {prefix} is not the family's ({family})",
            e.line
        ));
    };
    let lower = kind.trim_end_matches('_').to_lowercase();
    let (module, ty, doc) = if kind == "CMD_" {
        (
            "cmd".to_string(),
            "u8",
            format!("Commands (`{prefix}*`); replies reuse the request's command."),
        )
    } else if let Some(set) = kind.strip_prefix("A_") {
        let set = set.trim_end_matches('_').to_lowercase();
        let doc = format!(
            "Attributes of the `{}` set (`{prefix}*`).",
            set.replace('_', "-")
        );
        (format!("{set}_attr"), "u16", doc)
    } else {
        let tag = e.tag.clone().unwrap_or_else(|| prefix.to_lowercase());
        (lower, "u32", format!("`enum {tag}`."))
    };
    if module.is_empty() || !module.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
        return Err(format!("line {}: no module name for {prefix}", e.line));
    }
    let sentinel_name = format!("__{prefix}MAX");
    let max_name = format!("{prefix}MAX");
    let mut values = Vec::new();
    let mut after_sentinel = false;
    for (name, value) in &e.values {
        if *name == sentinel_name {
            after_sentinel = true;
            continue;
        }
        if after_sentinel && *name == max_name {
            continue;
        }
        let short = name.strip_prefix(&prefix).ok_or_else(|| {
            format!(
                "line {}: enumerator {name} does not start with {prefix}",
                e.line
            )
        })?;
        if short.is_empty() || short.starts_with(|c: char| c.is_ascii_digit()) {
            return Err(format!("line {}: enumerator {name} has no name", e.line));
        }
        values.push((short.to_string(), *value));
    }
    Ok(Shape {
        prefix,
        module,
        ty,
        doc,
        values,
    })
}

/// Largest value an enum may have: `NAMES` is indexed by value.
const MAX_INDEXED_VALUE: i64 = 4096;

fn rust_string(s: &str) -> String {
    format!("{s:?}")
}

/// The Rust source for `header`: a `defines` module with every `#define`
/// (integers as `i64`, strings as `&str`), and one `spec_enum!` call per
/// enum (the macro is defined by the file that includes this output).
pub fn generate(header: &Header, family: &str, source: &str) -> Result<String, String> {
    let mut out = String::new();
    let w = &mut out;
    // Writing into a String cannot fail.
    let _ = writeln!(
        w,
        "// @generated by tools/rdmaipctl/build.rs from {source}; do not edit."
    );
    let _ = writeln!(w);
    let _ = writeln!(w, "/// The `#define`s of `{source}`, by their C names.");
    let _ = writeln!(w, "pub mod defines {{");
    for (name, value) in &header.defines {
        match value {
            Define::Int(v) => {
                let _ = writeln!(w, "    pub const {name}: i64 = {v};");
            }
            Define::Str(s) => {
                let _ = writeln!(w, "    pub const {name}: &str = {};", rust_string(s));
            }
        }
    }
    let _ = writeln!(w, "}}");
    let mut modules = BTreeMap::new();
    for e in &header.enums {
        let s = shape(e, family)?;
        if let Some(other) = modules.insert(s.module.clone(), s.prefix.clone()) {
            return Err(format!(
                "line {}: {} and {other} would both be module {}",
                e.line, s.prefix, s.module
            ));
        }
        let max = s.values.iter().map(|&(_, v)| v).max().unwrap_or(0);
        if s.values.iter().any(|&(_, v)| v < 0) || max > MAX_INDEXED_VALUE {
            return Err(format!(
                "line {}: {}* values must be 0..={MAX_INDEXED_VALUE}",
                e.line, s.prefix
            ));
        }
        let mut names = vec![String::new(); usize::try_from(max).unwrap_or(0) + 1];
        for (short, value) in &s.values {
            let slot = &mut names[usize::try_from(*value).unwrap_or(0)];
            // Aliases (two names, one value): the first is the spec's name.
            if slot.is_empty() {
                *slot = short.to_lowercase().replace('_', "-");
            }
        }
        let names: Vec<String> = names.iter().map(|n| rust_string(n)).collect();
        let _ = writeln!(w);
        let _ = writeln!(w, "spec_enum! {{");
        let _ = writeln!(w, "    #[doc = {}]", rust_string(&s.doc));
        let _ = writeln!(w, "    {}: {};", s.module, s.ty);
        let _ = writeln!(w, "    [{}];", names.join(", "));
        for (short, value) in &s.values {
            let _ = writeln!(w, "    {short} = {value},");
        }
        let _ = writeln!(w, "}}");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(header: &Header, name: &str) -> Option<i64> {
        header.defines.iter().find_map(|(n, v)| match v {
            Define::Int(i) if n == name => Some(*i),
            _ => None,
        })
    }

    #[test]
    fn defines_strings_numbers_and_guards() {
        let h = parse(
            "#ifndef _X_H\n#define _X_H\n#define X_NAME\t\"x/*y*/\" /* c */\n\
             #define X_HEX 0x1F\n#define X_EXPR (X_HEX + 1) // c\n\
             #  define X_CONT \\\n   3U\n#define X_MACRO(a) ((a) + 1)\n#endif\n",
        )
        .unwrap();
        assert_eq!(
            h.defines,
            [
                ("X_NAME".into(), Define::Str("x/*y*/".into())),
                ("X_HEX".into(), Define::Int(31)),
                ("X_EXPR".into(), Define::Int(32)),
                ("X_CONT".into(), Define::Int(3)),
            ]
        );
        assert!(h.enums.is_empty());
    }

    #[test]
    fn enums_implicit_and_explicit_values() {
        let h = parse(
            "/* a\n * comment { } */\nenum x_state {\n\tX_STATE_UP = 1,\n\tX_STATE_DOWN,\n\
             \tX_STATE_GONE = 1 << 3,\n\tX_STATE_NEXT\n};\n\
             enum { X_A_ONE, X_A_TWO = X_STATE_DOWN * 2, __X_A_MAX,\n\
             X_A_MAX = (__X_A_MAX - 1) };\n",
        )
        .unwrap();
        assert_eq!(h.enums.len(), 2);
        assert_eq!(h.enums[0].tag.as_deref(), Some("x_state"));
        assert_eq!(h.enums[0].line, 3);
        let values: Vec<i64> = h.enums[0].values.iter().map(|v| v.1).collect();
        assert_eq!(values, [1, 2, 8, 9]);
        assert_eq!(h.enums[1].tag, None);
        assert_eq!(
            h.enums[1].values,
            [
                ("X_A_ONE".into(), 0),
                ("X_A_TWO".into(), 4),
                ("__X_A_MAX".into(), 5),
                ("X_A_MAX".into(), 4)
            ]
        );
    }

    #[test]
    fn defines_may_use_enumerators_and_enums_defines() {
        let h = parse("#define B 2\nenum { X_A = B, X_B };\n#define C (X_B | 0x10)\n").unwrap();
        assert_eq!(int(&h, "C"), Some(0x13));
    }

    #[test]
    fn enum_as_a_type_and_structs_are_skipped() {
        let h =
            parse("struct x_s { enum x_state s; __u32 v[2]; };\nenum x_state { X_STATE_A = 1 };\n")
                .unwrap();
        assert_eq!(h.enums.len(), 1);
        assert_eq!(h.enums[0].values, [("X_STATE_A".into(), 1)]);
    }

    #[test]
    fn errors_name_the_line() {
        assert_eq!(
            parse("enum { A = B };").unwrap_err(),
            "line 1: unknown name B in expression"
        );
        assert_eq!(
            parse("\nenum { A 2 };").unwrap_err(),
            "line 2: expected = or , after A"
        );
        assert!(parse("enum { A = 1 2 };")
            .unwrap_err()
            .contains("trailing tokens"));
        assert_eq!(
            parse("enum { A, A };").unwrap_err(),
            "line 1: A defined twice"
        );
        assert!(parse("/* open").unwrap_err().contains("never closed"));
        assert!(parse("enum { A").unwrap_err().contains("never closed"));
        assert!(parse("#define X 1 +").unwrap_err().starts_with("line 1:"));
        assert!(parse("#define X (1 << 63)")
            .unwrap_err()
            .contains("overflow"));
        assert!(parse("#define X 0xZZ").unwrap_err().contains("bad number"));
    }

    fn header(text: &str) -> Header {
        parse(text).unwrap()
    }

    #[test]
    fn shapes_follow_ynl_conventions() {
        let h = header(
            "enum f_move_reason { F_MOVE_REASON_FAILOVER = 1, F_MOVE_REASON_FAILBACK };\n\
             enum { F_A_GROUP_NAME = 1, F_A_GROUP_PORT, __F_A_GROUP_MAX,\n\
               F_A_GROUP_MAX = (__F_A_GROUP_MAX - 1) };\n\
             enum f_cmd { F_CMD_GROUP_NEW = 1, __F_CMD_MAX, F_CMD_MAX = (__F_CMD_MAX - 1) };\n",
        );
        let shapes: Vec<Shape> = h.enums.iter().map(|e| shape(e, "F_").unwrap()).collect();
        assert_eq!(
            (shapes[0].module.as_str(), shapes[0].ty),
            ("move_reason", "u32")
        );
        assert_eq!(
            shapes[0].values,
            [("FAILOVER".into(), 1), ("FAILBACK".into(), 2)]
        );
        assert_eq!(
            (shapes[1].module.as_str(), shapes[1].ty),
            ("group_attr", "u16")
        );
        assert_eq!(shapes[1].values, [("NAME".into(), 1), ("PORT".into(), 2)]);
        assert_eq!((shapes[2].module.as_str(), shapes[2].ty), ("cmd", "u8"));
        assert_eq!(shapes[2].values, [("GROUP_NEW".into(), 1)]);
    }

    #[test]
    fn shape_errors() {
        let err = |text: &str| shape(&header(text).enums[0], "F_").unwrap_err();
        assert!(err("enum { F_A, F_B };").contains("without a __*_MAX marker"));
        assert!(err("enum g_state { G_STATE_UP };").contains("is not the family's"));
        assert!(err("enum f_state { F_STATE_UP, F_OTHER };").contains("does not start with"));
        assert!(err("enum f_state { F_STATE_1 };").contains("has no name"));
    }

    #[test]
    fn generated_source() {
        let h = header(
            "#define F_FAMILY_NAME \"f\"\n#define F_FAMILY_VERSION 2\n\
             enum f_state { F_STATE_UP = 1, F_STATE_NO_CARRIER = 3 };\n",
        );
        let src = generate(&h, "F_", "f.h").unwrap();
        assert!(src.contains("pub const F_FAMILY_NAME: &str = \"f\";"));
        assert!(src.contains("pub const F_FAMILY_VERSION: i64 = 2;"));
        assert!(src.contains("    state: u32;\n    [\"\", \"up\", \"\", \"no-carrier\"];\n"));
        assert!(src.contains("    UP = 1,\n    NO_CARRIER = 3,\n"));
    }

    #[test]
    fn generate_errors() {
        let fail = |text: &str| generate(&header(text), "F_", "f.h").unwrap_err();
        assert!(fail("enum f_s { F_S_A = 5000 };").contains("values must be 0..=4096"));
        assert!(fail("enum f_s { F_S_A = -1 };").contains("values must be"));
        let twice = "enum f_s { F_S_A };\nenum { F_S_B, __F_S_MAX };";
        assert!(fail(twice).contains("both be module s"));
    }
}
