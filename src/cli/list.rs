//! `flightdeck list [--all]`: the releases in progress, and with `--all` the
//! closed ones too.

use crate::timeline::Home;
use color_eyre::eyre::Result;

pub(crate) fn list(home: &Home, json: bool, all: bool) -> Result<()> {
    let releases = home.list()?;
    let hidden = releases.iter().filter(|r| r.outcome.is_some()).count();
    let shown: Vec<_> = releases
        .into_iter()
        .filter(|r| all || r.outcome.is_none())
        .collect();
    if json {
        println!("{}", serde_json::to_string_pretty(&shown)?);
        return Ok(());
    }
    if shown.is_empty() {
        println!(
            "no releases in progress in {}",
            home.releases_dir().display()
        );
        println!("start one with `flightdeck start CHECKLIST --version V`");
    }
    for r in &shown {
        let state = match r.outcome {
            None => "in progress".to_string(),
            Some(o) => o.word().to_string(),
        };
        println!(
            "{:<28} {:>3}/{:<3} {:<12} started {} by {}",
            r.id,
            r.done,
            r.total,
            state,
            r.created_at.format("%Y-%m-%d %H:%M UTC"),
            r.created_by
        );
        if r.ignored > 0 {
            println!(
                "  ⚠ {} untrusted event(s) ignored: see `flightdeck status {}`",
                r.ignored, r.id
            );
        }
    }
    if !all && hidden > 0 {
        let s = if hidden == 1 { "" } else { "s" };
        println!("({hidden} closed release{s} not shown: flightdeck list --all)");
    }
    Ok(())
}
