//! Filter matching and overlap must agree with NATS, because the in-process bus relies on them.

use super::*;

fn subject(tokens: &[&str]) -> Subject {
    Subject::new(StreamKind::Jobs, tokens.iter().copied()).unwrap_or_else(|e| panic!("{e}"))
}

fn filter(tokens: &[&str]) -> SubjectFilter {
    let mut f = SubjectFilter {
        kind: StreamKind::Jobs,
        tokens: Vec::new(),
    };
    for t in tokens {
        f = match *t {
            "*" => f.any(),
            ">" => f.rest(),
            lit => f.token(lit),
        }
        .unwrap_or_else(|e| panic!("{e}"));
    }
    f
}

#[test]
fn filters_match_like_nats_wildcards() {
    let users_of_a = subject(&["sync", "users", "a"]);
    assert!(filter(&["sync", "users", "*"]).matches(&users_of_a));
    assert!(filter(&["sync", ">"]).matches(&users_of_a));
    assert!(filter(&["sync", "users", "a"]).matches(&users_of_a));
    assert!(
        !filter(&["sync", "users"]).matches(&users_of_a),
        "a literal filter is exact"
    );
    assert!(
        !filter(&["sync", "users", "a", ">"]).matches(&users_of_a),
        "'>' needs one more token"
    );
    assert!(!filter(&["sync", "*"]).matches(&users_of_a));
    assert!(!filter(&["sync", "groups", "*"]).matches(&users_of_a));
    let event = Subject::new(StreamKind::Events, ["sync", "users", "a"]).unwrap_or_else(|e| panic!("{e}"));
    assert!(!filter(&["sync", ">"]).matches(&event), "other stream");
}

#[test]
fn overlapping_work_queue_filters_are_detected() {
    assert!(filter(&["sync", "users", "*"]).overlaps(&filter(&["sync", ">"])));
    assert!(filter(&["sync", "*", "a"]).overlaps(&filter(&["sync", "users", "*"])));
    assert!(filter(&["sync", "users", "*"]).overlaps(&filter(&["sync", "users", "*"])));
    assert!(!filter(&["sync", "users", "*"]).overlaps(&filter(&["sync", "groups", "*"])));
    assert!(
        !filter(&["sync", "users"]).overlaps(&filter(&["sync", "users", "*"])),
        "different depth"
    );
}

#[test]
fn subjects_render_with_the_prefix_and_parse_back() {
    let prefix = Prefix::new("t42").unwrap_or_default();
    let s = subject(&["sync", "users", "tenant-1"]);
    let wire = s.render(&prefix);
    assert_eq!(wire, "t42.jobs.sync.users.tenant-1");
    assert_eq!(Subject::parse(&prefix, &wire), Ok(s.clone()));
    assert!(
        Subject::parse(&Prefix::default(), &wire).is_err(),
        "another prefix"
    );
    assert_eq!(
        s.dead_letter().render(&prefix),
        "t42.dead.jobs.sync.users.tenant-1"
    );
    assert_eq!(prefix.stream_name(StreamKind::Events), "t42_events");
}
