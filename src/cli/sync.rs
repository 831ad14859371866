//! `flightdeck join dir:PATH/<release-id>` and `flightdeck sync [RELEASE] [--once]`.

use crate::checklist::Checklist;
use crate::crew::share::{self, Target};
use crate::crew::share_dir::{DirShare, IDENTITY_WARNING};
use crate::crew::{Role, seat_in};
use crate::diag::Diagnostics;
use crate::error::user;
use crate::timeline::{Home, Release, fold};
use color_eyre::eyre::Result;

/// How often `sync` (without --once) and the cockpit exchange.
pub(crate) const INTERVAL: std::time::Duration = std::time::Duration::from_secs(10);

fn github_not_yet(repo: &str) -> color_eyre::Report {
    user(format!(
        "sharing through a GitHub tracking issue ({repo}) is not in this build yet\n  share through a directory instead: --share dir:PATH"
    ))
}

/// `start --share`: opens the share and remembers it.
pub(crate) fn share_new(release: &Release, target: &str) -> Result<()> {
    match Target::parse(target)? {
        Target::Dir(base) => {
            let text = std::fs::read_to_string(release.dir.join("checklist.toml"))
                .map_err(|e| user(format!("reading the release's checklist: {e}")))?;
            let share = DirShare::create(&base, release, &text)?;
            share::remember(release, &share)?;
            println!(
                "shared in {} — the crew joins with `flightdeck join dir:{}`",
                share.root.display(),
                share.root.display()
            );
            println!("note: {IDENTITY_WARNING}");
            Ok(())
        }
        Target::Github(repo) => Err(github_not_yet(&repo)),
    }
}

/// `flightdeck join`: the same release on this machine, from its share.
pub(crate) fn join(home: &Home, target: &str, me: &str, flag: Role) -> Result<()> {
    let root = match Target::parse(target)? {
        Target::Dir(root) => root,
        Target::Github(repo) => return Err(github_not_yet(&repo)),
    };
    let share = DirShare { root };
    let (manifest, text) = share.read()?;
    let checklist = Checklist::parse(&manifest.checklist_file, &text)
        .map_err(|d| color_eyre::Report::new(Diagnostics(d)))?;
    let release = home.adopt(
        &checklist,
        &text,
        &manifest.version,
        &manifest.created_by,
        manifest.created_at,
    )?;
    share::remember(&release, &share)?;
    let report = share::exchange(&release, &share, me, Role::JumpSeat)?;
    let state = fold(&release.plan, &release.read_events()?);
    println!(
        "joined {} from {} ({} events)",
        release.meta.id,
        share.root.display(),
        report.pulled
    );
    println!(
        "you: @{me}, {}",
        seat_in(&state, me, flag).badge().to_lowercase()
    );
    for r in &report.refused {
        eprintln!("⚠ refused: {r}");
    }
    println!("note: {IDENTITY_WARNING}");
    println!("next: `flightdeck fly {}`", release.meta.id);
    Ok(())
}

/// `flightdeck sync`: exchange with the crew headless, once or every few seconds.
pub(crate) fn sync(
    home: &Home,
    release: Option<&str>,
    once: bool,
    me: &str,
    flag: Role,
) -> Result<()> {
    let release = home.resolve(release)?;
    let Some(share) = share::load(&release)? else {
        return Err(user(format!(
            "release {} is not shared\n  share it at start with --share dir:PATH, or join a shared one with `flightdeck join`",
            release.meta.id
        )));
    };
    loop {
        let seat = super::crew::seat(&release, me, flag)?;
        let report = share::exchange(&release, &share, me, seat)?;
        println!("{}: {}", release.meta.id, report.line());
        for r in &report.refused {
            eprintln!("⚠ refused: {r}");
        }
        if once {
            return match report.error {
                Some(e) => Err(color_eyre::eyre::eyre!(
                    "the share did not answer: {e}\n  your events are safe in the local log; `flightdeck sync` again later"
                )),
                None => Ok(()),
            };
        }
        std::thread::sleep(INTERVAL);
    }
}

/// The cockpit's background exchange: every [`INTERVAL`], off the input task.
/// Returns `None` when the release is not shared.
pub(crate) fn spawn_background(
    release: &Release,
    me: &str,
    flag: Role,
) -> Option<tokio::task::JoinHandle<()>> {
    let share = share::load(release).ok().flatten()?;
    let release = release.clone();
    let me = me.to_string();
    Some(tokio::spawn(async move {
        loop {
            let (release, share, me) = (release.clone(), share.clone(), me.clone());
            let _ = tokio::task::spawn_blocking(move || {
                let seat = release
                    .read_events()
                    .map(|e| seat_in(&fold(&release.plan, &e), &me, flag))
                    .unwrap_or(Role::JumpSeat);
                share::exchange(&release, &share, &me, seat)
            })
            .await;
            tokio::time::sleep(INTERVAL).await;
        }
    }))
}
