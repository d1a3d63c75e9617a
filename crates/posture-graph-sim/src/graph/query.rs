//! OData system query options and the `$filter` subset the sync needs: comparisons
//! (eq, ne, gt, ge, lt, le) on nested properties, and/or/not, parentheses, startswith/endswith,
//! and `collection/any(x: x eq 'v')`.

use serde_json::Value;

/// Query options of one request (`$` prefix optional, as Graph v1.0 accepts both).
#[derive(Clone, Debug, Default)]
pub struct Query {
    pub top: Option<String>,
    pub skip: Option<String>,
    pub select: Option<Vec<String>>,
    pub filter: Option<String>,
    pub count: bool,
    pub expand: Option<String>,
    pub orderby: Option<String>,
    pub search: Option<String>,
    pub skiptoken: Option<String>,
    pub deltatoken: Option<String>,
    /// Every pair except the paging tokens, in order, for building next links.
    pub carried: Vec<(String, String)>,
}

impl Query {
    pub fn parse(raw: Option<&str>) -> Query {
        let mut q = Query::default();
        let Some(raw) = raw else { return q };
        for (k, v) in url::form_urlencoded::parse(raw.as_bytes()) {
            let key = k.trim_start_matches('$').to_ascii_lowercase();
            let v = v.into_owned();
            match key.as_str() {
                "skiptoken" => {
                    q.skiptoken = Some(v);
                    continue;
                }
                "deltatoken" => {
                    q.deltatoken = Some(v);
                    continue;
                }
                "top" => q.top = Some(v.clone()),
                "skip" => q.skip = Some(v.clone()),
                "select" => {
                    q.select = Some(
                        v.split(',')
                            .map(|s| s.trim().to_string())
                            .filter(|s| !s.is_empty())
                            .collect(),
                    )
                }
                "filter" => q.filter = Some(v.clone()),
                "count" => q.count = v.eq_ignore_ascii_case("true"),
                "expand" => q.expand = Some(v.clone()),
                "orderby" => q.orderby = Some(v.clone()),
                "search" => q.search = Some(v.clone()),
                _ => {}
            }
            q.carried.push((k.into_owned(), v));
        }
        q
    }

    /// The query string to repeat in next links, plus extra pairs.
    pub fn link_query(&self, extra: &[(&str, String)]) -> String {
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in &self.carried {
            ser.append_pair(k, v);
        }
        for (k, v) in extra {
            ser.append_pair(k, v);
        }
        ser.finish().replace('+', "%20")
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    Cmp {
        path: Vec<String>,
        op: String,
        lit: Literal,
    },
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    Func {
        name: String,
        path: Vec<String>,
        lit: String,
    },
    Any {
        path: Vec<String>,
        op: String,
        lit: Literal,
    },
}

struct Lexer<'a> {
    s: &'a str,
    pos: usize,
    /// Nesting depth and clause count: bounded so a hostile filter cannot exhaust the stack.
    depth: u32,
    clauses: u32,
}

const MAX_FILTER_DEPTH: u32 = 64;
const MAX_FILTER_CLAUSES: u32 = 500;

impl<'a> Lexer<'a> {
    fn ws(&mut self) {
        while self.s[self.pos..].starts_with(' ') {
            self.pos += 1;
        }
    }
    fn peek_char(&mut self) -> Option<char> {
        self.ws();
        self.s[self.pos..].chars().next()
    }
    fn eat(&mut self, c: char) -> bool {
        if self.peek_char() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }
    fn word(&mut self) -> Option<String> {
        self.ws();
        let rest = &self.s[self.pos..];
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || "/_.:-+@".contains(c)))
            .unwrap_or(rest.len());
        if len == 0 {
            return None;
        }
        self.pos += len;
        Some(rest[..len].to_string())
    }
    fn string(&mut self) -> Option<String> {
        self.ws();
        let rest = &self.s[self.pos..];
        if !rest.starts_with('\'') {
            return None;
        }
        let mut out = String::new();
        let mut chars = rest.char_indices().skip(1).peekable();
        while let Some((i, c)) = chars.next() {
            if c == '\'' {
                if chars.peek().map(|x| x.1) == Some('\'') {
                    out.push('\'');
                    chars.next();
                } else {
                    self.pos += i + 1;
                    return Some(out);
                }
            } else {
                out.push(c);
            }
        }
        None
    }
    fn peek_word_is(&mut self, w: &str) -> bool {
        let save = self.pos;
        let got = self.word();
        self.pos = save;
        got.is_some_and(|g| g.eq_ignore_ascii_case(w))
    }
}

pub fn parse_filter(s: &str) -> Option<Filter> {
    let mut lx = Lexer {
        s,
        pos: 0,
        depth: 0,
        clauses: 0,
    };
    let f = parse_or(&mut lx)?;
    lx.ws();
    (lx.pos == s.len()).then_some(f)
}

fn parse_or(lx: &mut Lexer) -> Option<Filter> {
    let mut left = parse_and(lx)?;
    while lx.peek_word_is("or") {
        lx.word();
        left = Filter::Or(Box::new(left), Box::new(parse_and(lx)?));
    }
    Some(left)
}

fn parse_and(lx: &mut Lexer) -> Option<Filter> {
    let mut left = parse_term(lx)?;
    while lx.peek_word_is("and") {
        lx.word();
        left = Filter::And(Box::new(left), Box::new(parse_term(lx)?));
    }
    Some(left)
}

fn literal(lx: &mut Lexer) -> Option<Literal> {
    if let Some(s) = lx.string() {
        return Some(Literal::Str(s));
    }
    let w = lx.word()?;
    Some(match w.as_str() {
        "true" => Literal::Bool(true),
        "false" => Literal::Bool(false),
        "null" => Literal::Null,
        _ => match w.parse::<f64>() {
            Ok(n) if !w.contains('-') || w.starts_with('-') && !w[1..].contains('-') => Literal::Num(n),
            _ => Literal::Str(w),
        },
    })
}

fn split_path(p: &str) -> Vec<String> {
    p.split('/').map(str::to_string).collect()
}

fn parse_term(lx: &mut Lexer) -> Option<Filter> {
    lx.depth += 1;
    lx.clauses += 1;
    let result = if lx.depth > MAX_FILTER_DEPTH || lx.clauses > MAX_FILTER_CLAUSES {
        None
    } else {
        parse_term_inner(lx)
    };
    lx.depth -= 1;
    result
}

fn parse_term_inner(lx: &mut Lexer) -> Option<Filter> {
    if lx.eat('(') {
        let f = parse_or(lx)?;
        return lx.eat(')').then_some(f);
    }
    if lx.peek_word_is("not") {
        lx.word();
        return Some(Filter::Not(Box::new(parse_term(lx)?)));
    }
    let w = lx.word()?;
    if lx.eat('(') {
        // Function call: startswith(path,'x') / endswith / contains, or path/any(x: x op lit).
        if let Some(collection) = w.strip_suffix("/any") {
            let var = lx.word()?;
            let var = var.trim_end_matches(':').to_string();
            lx.eat(':');
            let _var_again = lx.word()?;
            let op = lx.word()?.to_ascii_lowercase();
            let lit = literal(lx)?;
            let _ = var;
            return lx.eat(')').then(|| Filter::Any {
                path: split_path(collection),
                op,
                lit,
            });
        }
        let path = lx.word()?;
        if !lx.eat(',') {
            return None;
        }
        let lit = lx.string()?;
        return lx.eat(')').then(|| Filter::Func {
            name: w.to_ascii_lowercase(),
            path: split_path(&path),
            lit,
        });
    }
    let op = lx.word()?.to_ascii_lowercase();
    if !["eq", "ne", "gt", "ge", "lt", "le"].contains(&op.as_str()) {
        return None;
    }
    let lit = literal(lx)?;
    Some(Filter::Cmp {
        path: split_path(&w),
        op,
        lit,
    })
}

fn lookup<'v>(obj: &'v Value, path: &[String]) -> &'v Value {
    let mut cur = obj;
    for p in path {
        cur = cur.get(p).unwrap_or(&Value::Null);
    }
    cur
}

fn compare(v: &Value, op: &str, lit: &Literal) -> bool {
    use std::cmp::Ordering;
    let ord: Option<Ordering> = match (v, lit) {
        (Value::Null, Literal::Null) => Some(Ordering::Equal),
        (Value::Null, _) | (_, Literal::Null) => None,
        (Value::String(s), Literal::Str(l)) => Some(s.to_ascii_lowercase().cmp(&l.to_ascii_lowercase())),
        (Value::Bool(b), Literal::Bool(l)) => Some(b.cmp(l)),
        (Value::Number(n), Literal::Num(l)) => n.as_f64().and_then(|x| x.partial_cmp(l)),
        (Value::String(s), Literal::Num(l)) => s.parse::<f64>().ok().and_then(|x| x.partial_cmp(l)),
        _ => None,
    };
    match (op, ord) {
        ("eq", Some(o)) => o == Ordering::Equal,
        ("ne", Some(o)) => o != Ordering::Equal,
        ("ne", None) => true,
        ("gt", Some(o)) => o == Ordering::Greater,
        ("ge", Some(o)) => o != Ordering::Less,
        ("lt", Some(o)) => o == Ordering::Less,
        ("le", Some(o)) => o != Ordering::Greater,
        _ => false,
    }
}

impl Filter {
    pub fn matches(&self, obj: &Value) -> bool {
        match self {
            Filter::Cmp { path, op, lit } => compare(lookup(obj, path), op, lit),
            Filter::And(a, b) => a.matches(obj) && b.matches(obj),
            Filter::Or(a, b) => a.matches(obj) || b.matches(obj),
            Filter::Not(a) => !a.matches(obj),
            Filter::Func { name, path, lit } => {
                let v = lookup(obj, path)
                    .as_str()
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                let l = lit.to_ascii_lowercase();
                match name.as_str() {
                    "startswith" => v.starts_with(&l),
                    "endswith" => v.ends_with(&l),
                    "contains" => v.contains(&l),
                    _ => false,
                }
            }
            Filter::Any { path, op, lit } => lookup(obj, path)
                .as_array()
                .is_some_and(|items| items.iter().any(|i| compare(i, op, lit))),
        }
    }

    /// `id eq '...'` clauses (possibly or-ed), for direct lookups instead of scans.
    pub fn id_equalities(&self) -> Option<Vec<String>> {
        match self {
            Filter::Cmp {
                path,
                op,
                lit: Literal::Str(s),
            } if path.len() == 1 && path[0] == "id" && op == "eq" => Some(vec![s.clone()]),
            Filter::Or(a, b) => {
                let mut v = a.id_equalities()?;
                v.extend(b.id_equalities()?);
                Some(v)
            }
            _ => None,
        }
    }

    /// Bounds the filter puts on a date-time property through and-ed comparisons: (lower, upper).
    pub fn time_bounds(&self, property: &str) -> (Option<String>, Option<String>) {
        match self {
            Filter::Cmp {
                path,
                op,
                lit: Literal::Str(s),
            } if path.len() == 1 && path[0] == property => match op.as_str() {
                "ge" | "gt" => (Some(s.clone()), None),
                "le" | "lt" => (None, Some(s.clone())),
                "eq" => (Some(s.clone()), Some(s.clone())),
                _ => (None, None),
            },
            Filter::And(a, b) => {
                let (la, ha) = a.time_bounds(property);
                let (lb, hb) = b.time_bounds(property);
                let hi = match (ha, hb) {
                    (Some(x), Some(y)) => Some(x.min(y)),
                    (x, y) => x.or(y),
                };
                (la.max(lb), hi)
            }
            _ => (None, None),
        }
    }

    /// Whether the filter uses operators that need advanced query (ConsistencyLevel: eventual).
    pub fn needs_advanced(&self) -> bool {
        match self {
            Filter::Cmp { op, .. } => op == "ne",
            Filter::And(a, b) | Filter::Or(a, b) => a.needs_advanced() || b.needs_advanced(),
            Filter::Not(_) => true,
            Filter::Func { name, .. } => name == "endswith" || name == "contains",
            Filter::Any { .. } => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn filters_parse_and_match_the_sync_subset() {
        let u = json!({"userType": "Guest", "accountEnabled": false, "id": "a1", "signInActivity": {"lastSignInDateTime": "2026-01-02T00:00:00Z"}, "methodsRegistered": ["fido2"]});
        for (f, expect) in [
            ("userType eq 'Guest'", true),
            ("accountEnabled eq false", true),
            ("accountEnabled eq true", false),
            ("id eq 'a1' or id eq 'b2'", true),
            ("signInActivity/lastSignInDateTime le 2026-01-05T00:00:00Z", true),
            (
                "createdDateTime ge 2026-01-05T00:00:00Z and userType eq 'Guest'",
                false,
            ),
            ("startswith(userType,'gu')", true),
            ("methodsRegistered/any(m: m eq 'fido2')", true),
            ("not (userType eq 'Member')", true),
        ] {
            let parsed = parse_filter(f).unwrap_or_else(|| panic!("{f} should parse"));
            assert_eq!(parsed.matches(&u), expect, "{f}");
        }
        assert!(parse_filter("userType eq").is_none());
        assert!(parse_filter("userType foo 'x'").is_none());
        let deep = format!(
            "{}userType eq 'Guest'{}",
            "(".repeat(100_000),
            ")".repeat(100_000)
        );
        assert!(
            parse_filter(&deep).is_none(),
            "deep nesting is refused, not recursed into"
        );
        let not_chain = format!("{}userType eq 'Guest'", "not ".repeat(100_000));
        assert!(parse_filter(&not_chain).is_none());
        let long = vec!["accountEnabled eq true"; 2_000].join(" and ");
        assert!(
            parse_filter(&long).is_none(),
            "very long clause chains are refused"
        );
    }
}
