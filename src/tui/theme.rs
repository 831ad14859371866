//! Themes: TOML files of *semantic roles* (ok, pending, failed, …), shipped in
//! `themes/` and embedded in the binary so it works alone.
//!
//! A user theme (`<config dir>/themes/NAME.toml`, or a path) overrides only
//! the roles it names, on top of `extends` (default: the dark theme). A role
//! nobody defines falls back to a related one (`next` → `accent`, `star` →
//! `warning`…). A broken theme never stops the cockpit: it becomes a warning
//! naming `file:line:col`, and the default theme is used.
//!
//! `NO_COLOR` / `--no-color` gives [`Theme::monochrome`]: no colours at all,
//! only bold and reverse video; status is carried by symbols everywhere.

use crate::diag::{Diagnostics, Node, NodeValue, Reporter, TableReader, closest};
use ratatui::style::{Color, Modifier, Style};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A meaning that something on screen can have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Text,
    Muted,
    Accent,
    Ok,
    Pending,
    Failed,
    Blocked,
    Warning,
    Pilot,
    Copilot,
    JumpSeat,
    Selection,
    Border,
    BorderFocus,
    Title,
    Star,
    Next,
}

impl Role {
    /// Every role, in the order of the resolved table.
    pub(crate) const ALL: [Role; 17] = [
        Role::Text,
        Role::Muted,
        Role::Accent,
        Role::Ok,
        Role::Pending,
        Role::Failed,
        Role::Blocked,
        Role::Warning,
        Role::Pilot,
        Role::Copilot,
        Role::JumpSeat,
        Role::Selection,
        Role::Border,
        Role::BorderFocus,
        Role::Title,
        Role::Star,
        Role::Next,
    ];

    /// The key in a theme file.
    pub(crate) fn key(self) -> &'static str {
        match self {
            Role::Text => "text",
            Role::Muted => "muted",
            Role::Accent => "accent",
            Role::Ok => "ok",
            Role::Pending => "pending",
            Role::Failed => "failed",
            Role::Blocked => "blocked",
            Role::Warning => "warning",
            Role::Pilot => "pilot",
            Role::Copilot => "copilot",
            Role::JumpSeat => "jump_seat",
            Role::Selection => "selection",
            Role::Border => "border",
            Role::BorderFocus => "border_focus",
            Role::Title => "title",
            Role::Star => "star",
            Role::Next => "next",
        }
    }

    /// The related role used when a theme does not name this one.
    fn fallback(self) -> Option<Role> {
        Some(match self {
            Role::Text | Role::Selection => return None,
            Role::Muted | Role::Accent | Role::Ok | Role::Pending | Role::Failed => Role::Text,
            Role::Blocked | Role::JumpSeat | Role::Border => Role::Muted,
            Role::Warning => Role::Pending,
            Role::Pilot | Role::Copilot | Role::BorderFocus | Role::Title | Role::Next => {
                Role::Accent
            }
            Role::Star => Role::Warning,
        })
    }

    fn from_key(key: &str) -> Option<Role> {
        Role::ALL.iter().copied().find(|r| r.key() == key)
    }
}

/// Built-in themes: (name, file text).
const BUILTIN: &[(&str, &str)] = &[
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

/// The names `--theme` accepts without a path.
pub(crate) fn builtin_names() -> Vec<&'static str> {
    BUILTIN.iter().map(|(n, _)| *n).collect()
}

/// A resolved theme: one style per role.
#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub(crate) name: String,
    styles: [Style; Role::ALL.len()],
    /// Monochrome: the selection is shown in reverse video, never by colour.
    pub(crate) monochrome: bool,
}

impl Theme {
    /// The style of a role.
    pub fn style(&self, role: Role) -> Style {
        self.styles[role as usize]
    }

    /// The dark default theme.
    pub fn default_theme() -> Theme {
        builtin("default").unwrap_or_else(Theme::monochrome)
    }

    /// No colours: plain text, bold for emphasis, reverse video for the selection.
    pub fn monochrome() -> Theme {
        let mut styles = [Style::default(); Role::ALL.len()];
        let bold = Style::default().add_modifier(Modifier::BOLD);
        for r in [
            Role::Accent,
            Role::Failed,
            Role::Warning,
            Role::Title,
            Role::Next,
            Role::Pilot,
            Role::Copilot,
            Role::JumpSeat,
        ] {
            styles[r as usize] = bold;
        }
        styles[Role::Selection as usize] = Style::default().add_modifier(Modifier::REVERSED);
        styles[Role::BorderFocus as usize] = bold;
        Theme {
            name: "no-color".into(),
            styles,
            monochrome: true,
        }
    }

    /// Resolves `--theme NAME|PATH` (or the config's `theme`). Never fails:
    /// problems come back as warnings and the default theme is used.
    pub fn load(choice: Option<&str>, config_dir: Option<&Path>) -> (Theme, Vec<String>) {
        let Some(choice) = choice.map(str::trim).filter(|c| !c.is_empty()) else {
            return (Theme::default_theme(), Vec::new());
        };
        let choice = if choice == "dark" { "default" } else { choice };
        if let Some(t) = builtin(choice) {
            return (t, Vec::new());
        }
        let looks_like_path =
            choice.contains('/') || choice.contains('\\') || choice.ends_with(".toml");
        let path: Option<PathBuf> = if looks_like_path {
            Some(PathBuf::from(choice))
        } else {
            config_dir.map(|d| d.join("themes").join(format!("{choice}.toml")))
        };
        let Some(path) = path.filter(|p| p.is_file()) else {
            let user_dir = config_dir
                .map(|d| {
                    format!(
                        "; user themes go in {}",
                        d.join("themes").join(format!("{choice}.toml")).display()
                    )
                })
                .unwrap_or_default();
            return (
                Theme::default_theme(),
                vec![format!(
                    "theme `{choice}` not found: built-in themes are {}{user_dir}; using the default theme",
                    builtin_names().join(", ")
                )],
            );
        };
        let file = path.display().to_string();
        match read_theme_text(&path, &file) {
            Ok(text) => match parse(&file, &text) {
                Ok(t) => (t, Vec::new()),
                Err(d) => (
                    Theme::default_theme(),
                    vec![format!("{}\n  using the default theme", Diagnostics(d))],
                ),
            },
            Err(why) => (
                Theme::default_theme(),
                vec![format!("{why}; using the default theme")],
            ),
        }
    }
}

/// A theme is a few dozen lines: anything past this is not one.
const MAX_THEME_BYTES: u64 = 256 * 1024;
/// The longest colour anyone writes (`"light_magenta"`, `"#rrggbb"`).
const MAX_COLOUR_CHARS: usize = 32;

/// The theme file's text, or why not, naming the place (`file:line:col` for bytes
/// that are not UTF-8).
fn read_theme_text(path: &Path, file: &str) -> Result<String, String> {
    let too_big =
        |n: u64| format!("{file}: {n} bytes is too large for a theme (at most {MAX_THEME_BYTES})");
    if let Ok(meta) = std::fs::metadata(path)
        && meta.len() > MAX_THEME_BYTES
    {
        return Err(too_big(meta.len()));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read theme {file}: {e}"))?;
    if bytes.len() as u64 > MAX_THEME_BYTES {
        return Err(too_big(bytes.len() as u64));
    }
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        let valid = std::str::from_utf8(&bytes[..at]).unwrap_or_default();
        let (line, col) = crate::diag::line_col(valid, at);
        format!(
            "{file}:{line}:{col}: the theme is not UTF-8 text (byte 0x{:02x}); save it as UTF-8",
            bytes.get(at).copied().unwrap_or(0)
        )
    })
}

fn builtin(name: &str) -> Option<Theme> {
    let (n, text) = BUILTIN.iter().find(|(n, _)| *n == name)?;
    // Built-ins are tested to parse; should one ever not, no colours beat no cockpit.
    parse(&format!("themes/{n}.toml"), text).ok()
}

/// The roles a theme file names, before fallbacks.
type Layer = BTreeMap<Role, Style>;

/// Parses a theme file into a resolved theme, or every problem as `file:line:col`.
pub fn parse(file: &str, text: &str) -> Result<Theme, Vec<crate::diag::Diagnostic>> {
    let mut rep = Reporter::new(file, text);
    let mut name = None;
    let mut extends = None;
    let mut layer = Layer::new();
    if let Some(root) = Node::parse(&mut rep, text)
        && let Some(mut top) = TableReader::new(&mut rep, &root, "the theme")
    {
        name = top.string(&mut rep, "name").map(|s| s.value);
        if let Some(e) = top.string(&mut rep, "extends") {
            if BUILTIN.iter().any(|(n, _)| *n == e.value) {
                extends = Some(e.value);
            } else {
                rep.error(
                    &e.span,
                    format!("`extends` names an unknown theme `{}`", e.value),
                    Some(format!("built-in themes: {}", builtin_names().join(", "))),
                );
            }
        }
        if let Some(roles) = top.node("roles") {
            match &roles.value {
                NodeValue::Table(entries) => {
                    for e in entries {
                        let Some(role) = Role::from_key(&e.key) else {
                            let keys: Vec<&str> = Role::ALL.iter().map(|r| r.key()).collect();
                            let hint = closest(&e.key, &keys)
                                .map(|c| format!("did you mean `{c}`? "))
                                .unwrap_or_default();
                            rep.error(
                                &e.key_span,
                                format!("unknown role `{}`", e.key),
                                Some(format!("{hint}roles: {}", keys.join(", "))),
                            );
                            continue;
                        };
                        if let Some(style) = style_of(&mut rep, &e.node, role.key()) {
                            layer.insert(role, style);
                        }
                    }
                }
                _ => rep.error(
                    &roles.span,
                    "`roles` must be a table: [roles] ok = \"green\"",
                    None,
                ),
            }
        }
        top.finish(&mut rep);
    }
    let diagnostics = rep.finish();
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    // A built-in is its own base; a user theme sits on `extends` (or the default).
    let is_builtin = BUILTIN.iter().any(|(_, t)| *t == text);
    let mut merged = if is_builtin {
        Layer::new()
    } else {
        let base_name = extends.as_deref().unwrap_or("default");
        BUILTIN
            .iter()
            .find(|(n, _)| *n == base_name)
            .and_then(|(n, t)| parse_layer(&format!("themes/{n}.toml"), t))
            .unwrap_or_default()
    };
    merged.extend(layer);
    Ok(Theme {
        name: name.unwrap_or_else(|| file.to_string()),
        styles: resolve(&merged),
        monochrome: false,
    })
}

/// The layer of a built-in (no fallbacks applied), for user themes to sit on.
fn parse_layer(file: &str, text: &str) -> Option<Layer> {
    let mut rep = Reporter::new(file, text);
    let root = Node::parse(&mut rep, text)?;
    let roles = root.as_table()?.iter().find(|e| e.key == "roles")?;
    let mut layer = Layer::new();
    for e in roles.node.as_table()? {
        if let (Some(role), Some(style)) =
            (Role::from_key(&e.key), style_of(&mut rep, &e.node, &e.key))
        {
            layer.insert(role, style);
        }
    }
    Some(layer)
}

fn resolve(layer: &Layer) -> [Style; Role::ALL.len()] {
    let mut out = [Style::default(); Role::ALL.len()];
    for role in Role::ALL {
        let mut r = Some(role);
        // Fallback chains are short and acyclic (tested), so this ends.
        while let Some(cur) = r {
            if let Some(s) = layer.get(&cur) {
                out[role as usize] = *s;
                break;
            }
            r = cur.fallback();
        }
    }
    out
}

fn style_of(rep: &mut Reporter<'_>, node: &Node, key: &str) -> Option<Style> {
    match &node.value {
        NodeValue::String(c) => color(rep, node, c).map(|c| Style::default().fg(c)),
        NodeValue::Integer(_) => color(rep, node, "").map(|c| Style::default().fg(c)),
        NodeValue::Table(_) => {
            let mut t = TableReader::new(rep, node, format!("role `{key}`"))?;
            let mut style = Style::default();
            if let Some(fg) = t.node("fg") {
                style = style.fg(color_node(rep, fg)?);
            }
            if let Some(bg) = t.node("bg") {
                style = style.bg(color_node(rep, bg)?);
            }
            for (k, m) in [
                ("bold", Modifier::BOLD),
                ("italic", Modifier::ITALIC),
                ("underline", Modifier::UNDERLINED),
                ("dim", Modifier::DIM),
                ("reversed", Modifier::REVERSED),
            ] {
                if t.bool(rep, k) == Some(true) {
                    style = style.add_modifier(m);
                }
            }
            t.finish(rep);
            Some(style)
        }
        _ => {
            rep.error(
                &node.span,
                format!(
                    "role `{key}` must be a colour or a table, found {}",
                    node.type_name()
                ),
                Some("e.g. ok = \"green\" or ok = { fg = \"#5fd787\", bold = true }".into()),
            );
            None
        }
    }
}

fn color_node(rep: &mut Reporter<'_>, node: &Node) -> Option<Color> {
    match &node.value {
        NodeValue::String(s) => color(rep, node, s),
        NodeValue::Integer(_) => color(rep, node, ""),
        _ => {
            rep.error(
                &node.span,
                format!("a colour must be a string, found {}", node.type_name()),
                None,
            );
            None
        }
    }
}

const NAMED: &[(&str, Color)] = &[
    ("reset", Color::Reset),
    ("black", Color::Black),
    ("red", Color::Red),
    ("green", Color::Green),
    ("yellow", Color::Yellow),
    ("blue", Color::Blue),
    ("magenta", Color::Magenta),
    ("cyan", Color::Cyan),
    ("gray", Color::Gray),
    ("dark_gray", Color::DarkGray),
    ("light_red", Color::LightRed),
    ("light_green", Color::LightGreen),
    ("light_yellow", Color::LightYellow),
    ("light_blue", Color::LightBlue),
    ("light_magenta", Color::LightMagenta),
    ("light_cyan", Color::LightCyan),
    ("white", Color::White),
];

fn color(rep: &mut Reporter<'_>, node: &Node, text: &str) -> Option<Color> {
    if let NodeValue::Integer(i) = node.value {
        return match u8::try_from(i) {
            Ok(n) => Some(Color::Indexed(n)),
            Err(_) => {
                rep.error(
                    &node.span,
                    format!("colour index {i} is out of range"),
                    Some("use 0 to 255".into()),
                );
                None
            }
        };
    }
    if text.chars().count() > MAX_COLOUR_CHARS {
        rep.error(
            &node.span,
            format!("`{text}` is not a colour: longer than {MAX_COLOUR_CHARS} characters"),
            Some("use a name, \"#rrggbb\" or 0-255".into()),
        );
        return None;
    }
    let t = text.trim().to_ascii_lowercase().replace(['-', ' '], "_");
    let t = if t == "grey" {
        "gray".to_string()
    } else {
        t.replace("grey", "gray")
    };
    if let Some((_, c)) = NAMED.iter().find(|(n, _)| *n == t) {
        return Some(*c);
    }
    if let Some(hex) = t.strip_prefix('#')
        && hex.len() == 6
        && let Ok(v) = u32::from_str_radix(hex, 16)
    {
        return Some(Color::Rgb((v >> 16) as u8, (v >> 8) as u8, v as u8));
    }
    if let Ok(n) = t.parse::<u8>() {
        return Some(Color::Indexed(n));
    }
    let names: Vec<&str> = NAMED.iter().map(|(n, _)| *n).collect();
    let hint = closest(&t, &names)
        .map(|c| format!("did you mean `{c}`? "))
        .unwrap_or_default();
    rep.error(
        &node.span,
        format!("`{text}` is not a colour"),
        Some(format!(
            "{hint}use a name ({}), \"#rrggbb\" or 0-255",
            names.join(", ")
        )),
    );
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_parses_and_names_the_base_roles() {
        for (name, text) in BUILTIN {
            let t = parse(name, text).unwrap_or_else(|d| panic!("{name}: {}", Diagnostics(d)));
            assert_eq!(&t.name, name);
            for r in [
                Role::Ok,
                Role::Failed,
                Role::Pending,
                Role::Accent,
                Role::Pilot,
            ] {
                assert_ne!(t.style(r), Style::default(), "{name} leaves {r:?} plain");
            }
        }
    }

    #[test]
    fn fallbacks_end_and_reach_related_roles() {
        let mut layer = Layer::new();
        layer.insert(Role::Accent, Style::default().fg(Color::Blue));
        layer.insert(Role::Pending, Style::default().fg(Color::Yellow));
        let s = resolve(&layer);
        assert_eq!(s[Role::Next as usize].fg, Some(Color::Blue));
        assert_eq!(
            s[Role::Star as usize].fg,
            Some(Color::Yellow),
            "star → warning → pending"
        );
        assert_eq!(
            s[Role::Ok as usize],
            Style::default(),
            "ok → text, undefined"
        );
    }

    #[test]
    fn a_user_theme_overrides_only_what_it_names() {
        let t = parse("mine.toml", "[roles]\nok = \"magenta\"\n").expect("valid");
        let d = Theme::default_theme();
        assert_eq!(t.style(Role::Ok).fg, Some(Color::Magenta));
        assert_eq!(t.style(Role::Failed), d.style(Role::Failed));
        let l = parse(
            "mine.toml",
            "extends = \"light\"\n[roles]\nok = \"magenta\"\n",
        )
        .expect("valid");
        assert_eq!(
            l.style(Role::Text),
            builtin("light").expect("light").style(Role::Text)
        );
    }

    #[test]
    fn a_broken_theme_names_file_line_col_and_falls_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let themes = dir.path().join("themes");
        std::fs::create_dir_all(&themes).expect("mkdir");
        std::fs::write(
            themes.join("bad.toml"),
            "[roles]\nok = \"grene\"\nfialed = \"red\"\n",
        )
        .expect("write");
        let (t, warnings) = Theme::load(Some("bad"), Some(dir.path()));
        assert_eq!(t, Theme::default_theme());
        let w = warnings.join("\n");
        assert!(w.contains("bad.toml:2:6: `grene` is not a colour"), "{w}");
        assert!(w.contains("did you mean `green`"), "{w}");
        assert!(w.contains("bad.toml:3:1: unknown role `fialed`"), "{w}");
        assert!(w.contains("did you mean `failed`"), "{w}");
        assert!(w.contains("using the default theme"), "{w}");
    }

    #[test]
    fn syntax_errors_and_missing_themes_are_warnings() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("x.toml");
        std::fs::write(&p, "[roles\nok = 1").expect("write");
        let (t, w) = Theme::load(Some(p.to_str().expect("utf8")), None);
        assert_eq!(t, Theme::default_theme());
        assert!(w[0].contains("x.toml:1:"), "{w:?}");
        let (_, w) = Theme::load(Some("nope"), Some(dir.path()));
        assert!(w[0].contains("theme `nope` not found"), "{w:?}");
        assert!(w[0].contains("default, light, high-contrast"), "{w:?}");
    }

    #[test]
    fn names_pick_builtins() {
        assert_eq!(Theme::load(Some("light"), None).0.name, "light");
        assert_eq!(Theme::load(Some("dark"), None).0.name, "default");
        assert_eq!(
            Theme::load(Some("high-contrast"), None).0.name,
            "high-contrast"
        );
        assert!(Theme::monochrome().monochrome);
    }
}
