//! Where in a profile's TOML text an error lies: its line and its dotted key.

/// The 1-based line holding byte `offset`.
pub(super) fn line_of(source: &str, offset: usize) -> usize {
    source.as_bytes()[..offset.min(source.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The dotted key around byte `offset`: the table header above it, then the key (and, inside
/// an inline table, the inner key) on its line.
pub(super) fn key_at(source: &str, offset: usize) -> String {
    let offset = offset.min(source.len());
    let line_start = source[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[offset..]
        .find('\n')
        .map_or(source.len(), |i| offset + i);
    let line = &source[line_start..line_end];
    let head = &line[..offset - line_start];
    let ident = |s: &str| {
        let s = s.trim_end();
        let start = s
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .map_or(0, |i| i + 1);
        s[start..].to_owned()
    };
    let mut parts = Vec::new();
    let trimmed = line.trim_start();
    if trimmed.starts_with('[') {
        return trimmed
            .trim_matches(|c| c == '[' || c == ']')
            .trim()
            .to_owned();
    }
    if let Some(header) = source[..line_start]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
    {
        parts.push(
            header
                .trim_matches(|c| c == '[' || c == ']')
                .trim()
                .to_owned(),
        );
    }
    match (head.find('='), head.rfind('=')) {
        (Some(first), Some(last)) => {
            parts.push(ident(&head[..first]));
            if last != first {
                parts.push(ident(&head[..last]));
            }
        }
        _ => {
            // The error points at a key itself (an unknown field, say): take the word there.
            let rest = &line[head.len()..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                .unwrap_or(rest.len());
            parts.push(format!("{}{}", ident(head), &rest[..end]));
        }
    }
    parts.retain(|p| !p.is_empty());
    if parts.is_empty() {
        "(top level)".to_owned()
    } else {
        parts.join(".")
    }
}

/// A TOML syntax or type error in `source` as one line naming its line and key.
pub(super) fn toml_error(source: &str, origin: &str, e: &toml::de::Error) -> super::ProfileError {
    let offset = e.span().map_or(0, |s| s.start);
    super::ProfileError {
        origin: origin.to_owned(),
        line: line_of(source, offset),
        key: key_at(source, offset),
        message: backend::db::one_line(e.message()),
    }
}
