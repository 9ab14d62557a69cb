//! Hostile input at the guard: a document nested deeper than the rewriting
//! parser goes is dead-lettered under every policy, and the run goes on.

mod common;

use common::*;

/// `{"id_str":"deep","a":{"a":{...}}}` with `levels` nested objects.
fn nested(levels: usize) -> Vec<u8> {
    let mut json = String::from(r#"{"id_str":"deep","a":"#);
    json.push_str(&r#"{"a":"#.repeat(levels - 1));
    json.push('1');
    json.push_str(&"}".repeat(levels));
    json.into_bytes()
}

#[test]
fn a_document_nested_past_128_levels_is_dead_lettered_under_every_policy() {
    for policy in ["dead_letter", "drop_new_fields", "fold"] {
        let dir = tempfile::tempdir().unwrap();
        let mut lines = tweets(20);
        lines.insert(10, nested(200));
        write_ndjson(&dir.path().join("in.ndjson"), &lines);
        let toml = format!(
            r#"
            [source]
            type = "file"
            paths = ["in.ndjson"]
            [guard]
            policy = "{policy}"
            [sink]
            type = "ndjson"
            path = "out.ndjson"
            [dead_letter]
            path = "dead.ndjson"
            "#
        );
        let summary = run_pipeline(&toml, dir.path()).unwrap();
        assert!(summary.is_balanced());
        assert_eq!(
            (summary.records_in, summary.written, summary.dead_lettered),
            (21, 20, 1),
            "{policy}"
        );
        let dead = read_json_lines(&dir.path().join("dead.ndjson"));
        let reason = dead[0]["reason"].as_str().unwrap();
        assert!(
            reason.starts_with("mapping depth limit exceeded: "),
            "{policy}: {reason}"
        );
        if policy != "dead_letter" {
            assert!(
                reason.contains("too deeply nested to rewrite"),
                "{policy}: {reason}"
            );
        }
        assert_eq!(dead[0]["stage"], "guard");
    }
}
