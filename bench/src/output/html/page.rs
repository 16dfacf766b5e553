//! HTML text: escaping, the page frame with its style sheet, and small builders for tables and
//! sections. Everything a report or index writes goes through [`esc`], so a node that returns
//! `<script>` as a value shows it as text.

use std::fmt::Write as _;

/// Escapes text for an HTML element or a double-quoted attribute.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Cuts text to at most `max` characters, marking the cut.
pub fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", s.get(..i).unwrap_or(s)),
        None => s.to_owned(),
    }
}

const STYLE: &str = r"
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;max-width:1320px;
  padding:0 24px 48px;color:#1d1d1f;background:#fff}
h1{font-size:22px;margin:20px 0 6px}h2{font-size:18px;margin:30px 0 8px;border-bottom:1px solid #ddd;
  padding-bottom:4px}h3{font-size:15px;margin:18px 0 6px}
a{color:#0b57d0;text-decoration:none}a:hover{text-decoration:underline}
table{border-collapse:collapse;margin:6px 0 10px}td,th{padding:3px 10px;border-bottom:1px solid #eee;
  text-align:left;vertical-align:top}th{background:#f6f6f6;font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
table.kv th{width:220px;background:none;font-weight:500;color:#555}
.verdict{display:inline-block;padding:4px 14px;border-radius:6px;font-weight:700;font-size:18px;
  margin:6px 0 12px}
.valid{background:#e3f5e6;color:#17692a}.invalid{background:#fde7e7;color:#a11919}
.unknown{background:#fff4d6;color:#7a5a00}
.ok{color:#17692a}.fail{color:#a11919}.info{color:#8a6100}
ol.failures li{margin:0 0 8px}ol.failures .ops{font-size:12px;color:#555}
figure.plot{margin:12px 0 20px}figure.plot svg{max-width:100%;height:auto;display:block}
figcaption{font-size:12.5px;color:#555;margin-top:2px;max-width:1100px}
code,pre,td.mono{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace}
td.mono{max-width:420px;overflow-wrap:anywhere}code{overflow-wrap:anywhere}
pre{background:#f7f7f7;padding:8px;overflow:auto;max-height:320px}
tr:target{background:#fff3b0}tr.hl td:first-child{border-left:3px solid #d33}
nav.toc{font-size:13px;margin:4px 0 8px}nav.toc a{margin-right:14px}
.note{color:#555;font-size:13px}.swatch{display:inline-block;width:14px;height:11px;
  vertical-align:middle;border:1px solid #d99}
.legend{font-size:13px;margin:0 0 2px 70px}.key{margin-right:16px;white-space:nowrap}
.line{display:inline-block;width:18px;height:3px;vertical-align:middle}
.scroll{overflow:auto;max-height:85vh;border:1px solid #eee}svg.bars g:target rect{stroke:#000;stroke-width:3}
";

/// A whole page around `body`.
pub fn frame(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head>\n<body>\n{body}\n</body></html>\n",
        esc(title)
    )
}

/// A section with an anchor and a heading.
pub fn section(id: &str, title: &str, inner: &str) -> String {
    format!("<section id=\"{}\">\n<h2>{}</h2>\n{inner}\n</section>\n", esc(id), esc(title))
}

/// A table of label/value rows; values are HTML already.
pub fn kv_table(rows: &[(&str, String)]) -> String {
    let mut s = String::from("<table class=\"kv\">");
    for (k, v) in rows {
        let _ = write!(s, "<tr><th>{}</th><td>{v}</td></tr>", esc(k));
    }
    s.push_str("</table>\n");
    s
}

/// A plot in a figure with a caption (caption is HTML).
pub fn figure(name: &str, svg: &str, caption: &str) -> String {
    format!(
        "<figure class=\"plot\" data-plot=\"{}\">\n{svg}\n<figcaption>{caption}</figcaption></figure>\n",
        esc(name)
    )
}

/// The verdict badge.
pub fn verdict_badge(word: &str) -> String {
    let class = match word {
        "valid" => "valid",
        "INVALID" => "invalid",
        _ => "unknown",
    };
    format!("<div class=\"verdict {class}\">{}</div>", esc(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_clips_on_characters() {
        assert_eq!(esc("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
        assert_eq!(clip("héllo", 2), "hé…");
        assert_eq!(clip("hé", 2), "hé");
    }
}
