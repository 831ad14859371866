//! `start --share`, `flightdeck join` and `flightdeck sync [RELEASE] [--once]`,
//! and the cockpit's background exchange: the same protocol over a GitHub
//! tracking issue or a shared directory.

use crate::checklist::Checklist;
use crate::config::Config;
use crate::crew::share::{self, Report, Share, Target};
use crate::crew::share_dir::{DirShare, IDENTITY_WARNING, Manifest};
use crate::crew::share_github::{self, IssueShare};
use crate::crew::{Role, seat_in};
use crate::diag::Diagnostics;
use crate::error::user;
use crate::timeline::{Home, Release, fold};
use color_eyre::eyre::{Result, WrapErr};
use tokio::sync::watch;

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .wrap_err("starting the async runtime")
}

/// Before `start` creates anything: a share it can reach and write.
pub(crate) fn preflight(target: &str, config: &Config) -> Result<()> {
    match Target::parse(target)? {
        Target::Dir(_) => Ok(()),
        Target::Repo(repo) => {
            let client = crate::github::client_for(config).map_err(|e| user(e.to_string()))?;
            runtime()?.block_on(share_github::preflight(&client, &repo))?;
            Ok(())
        }
        Target::Issue(issue) => Err(user(format!(
            "--share {issue}: `start` opens a new tracking issue; give the repository (--share {}), or join an existing release with `flightdeck join {issue}`",
            issue.repo
        ))),
    }
}

/// `start --share`: opens the share and remembers it. A GitHub share that
/// cannot be opened takes the just-created release with it, so that `start`
/// can simply be run again.
pub(crate) fn share_new(release: &Release, target: &str, config: &Config) -> Result<()> {
    let text = std::fs::read_to_string(release.dir.join("checklist.toml"))
        .map_err(|e| user(format!("reading the release's checklist: {e}")))?;
    match Target::parse(target)? {
        Target::Dir(base) => {
            let share = DirShare::create(&base, release, &text)?;
            share::remember(release, &Share::Dir(share.clone()), None)?;
            println!(
                "shared in {} — the crew joins with `flightdeck join dir:{}`",
                share.root.display(),
                share.root.display()
            );
            println!("note: {IDENTITY_WARNING}");
            Ok(())
        }
        Target::Repo(repo) => {
            let client = crate::github::client_for(config).map_err(|e| user(e.to_string()))?;
            let rt = runtime()?;
            let opened = rt.block_on(IssueShare::open(client, &repo, release, &text));
            let share = match opened {
                Ok(s) => s,
                Err(e) => {
                    // Nothing but the start and the crew was recorded, seconds ago.
                    let _ = std::fs::remove_dir_all(&release.dir);
                    return Err(e.wrap_err(format!(
                        "could not open the tracking issue in {repo}; release {} was not created",
                        release.meta.id
                    )));
                }
            };
            share::remember(
                release,
                &Share::Github(share.clone()),
                Some(&config.github_api()),
            )?;
            // The start and the crew go up now: whoever joins learns their seat from them.
            let me = &release.meta.created_by;
            let first = rt.block_on(share.exchange(release, me, crate::crew::Role::Pilot));
            if let Some(e) = &first.error {
                eprintln!(
                    "⚠ the release's first events are not on the issue yet: {e}\n  `flightdeck sync` puts them there"
                );
            }
            println!(
                "shared on {} — the crew joins with `flightdeck join {}`",
                share.issue.web_url(),
                share.issue
            );
            Ok(())
        }
        Target::Issue(issue) => Err(user(format!(
            "--share {issue}: `start` opens a new tracking issue; give the repository"
        ))),
    }
}

/// `flightdeck join`: the same release on this machine, from its share.
pub(crate) fn join(home: &Home, target: &str, me: &str, flag: Role, config: &Config) -> Result<()> {
    let rt = runtime()?;
    let (share, manifest, text) = match Target::parse(target)? {
        Target::Dir(root) => {
            let share = DirShare { root };
            let (manifest, text) = share.read()?;
            (Share::Dir(share), manifest, text)
        }
        Target::Issue(issue) => {
            let client = crate::github::client_for(config).map_err(|e| user(e.to_string()))?;
            let share = IssueShare { issue, client };
            let data = rt.block_on(share.read())?;
            (Share::Github(share), data.manifest, data.checklist)
        }
        Target::Repo(repo) => {
            return Err(user(format!(
                "`{repo}` names a repository: give its tracking issue, `flightdeck join {repo}#N` or the issue's URL"
            )));
        }
    };
    let release = adopt(home, &manifest, &text)?;
    let api = matches!(share, Share::Github(_)).then(|| config.github_api());
    share::remember(&release, &share, api.as_deref())?;
    let report = rt.block_on(share::exchange(&release, &share, me, Role::JumpSeat))?;
    let state = fold(&release.plan, &release.read_events()?);
    println!(
        "joined {} from {} ({} events)",
        release.meta.id,
        share.place(),
        report.pulled
    );
    println!(
        "you: @{me}, {}",
        seat_in(&state, me, flag).badge().to_lowercase()
    );
    say(&report);
    if let Some(e) = &report.error {
        eprintln!("⚠ {e}");
    }
    if matches!(share, Share::Dir(_)) {
        println!("note: {IDENTITY_WARNING}");
    }
    println!("next: `flightdeck fly {}`", release.meta.id);
    Ok(())
}

fn adopt(home: &Home, manifest: &Manifest, text: &str) -> Result<Release> {
    let checklist = Checklist::parse(&manifest.checklist_file, text)
        .map_err(|d| color_eyre::Report::new(Diagnostics(d)))?;
    home.adopt(
        &checklist,
        text,
        &manifest.version,
        &manifest.created_by,
        manifest.created_at,
    )
}

/// Refusals and warnings of one exchange, on stderr.
fn say(report: &Report) {
    for r in &report.refused {
        eprintln!("⚠ refused: {}", crate::export::sanitize::harmless_line(r));
    }
    for w in &report.warnings {
        eprintln!("⚠ {}", crate::export::sanitize::harmless_line(w));
    }
}

/// `flightdeck sync`: exchange with the crew headless, once or every few seconds.
pub(crate) fn sync(
    home: &Home,
    release: Option<&str>,
    once: bool,
    me: &str,
    flag: Role,
    config: &Config,
) -> Result<()> {
    let release = home.resolve(release)?;
    let Some(share) = share::load(&release, config)? else {
        return Err(user(format!(
            "release {} is not shared\n  share it at start with --share OWNER/REPO or --share dir:PATH, or join a shared one with `flightdeck join`",
            release.meta.id
        )));
    };
    let rt = runtime()?;
    loop {
        let seat = super::crew::seat(&release, me, flag)?;
        let report = rt.block_on(share::exchange(&release, &share, me, seat))?;
        println!("{}: {}", release.meta.id, report.line());
        say(&report);
        if once {
            return match report.error {
                Some(e) => Err(color_eyre::eyre::eyre!(
                    "{} did not answer: {e}\n  your events are safe in the local log; `flightdeck sync` again later",
                    share.place()
                )),
                None => Ok(()),
            };
        }
        std::thread::sleep(share.interval(config.sync_interval));
    }
}

/// How long my new events wait to go up together.
const COALESCE: std::time::Duration = std::time::Duration::from_secs(1);

/// The cockpit's background exchange, off the input task; each report is
/// published for the header. It exchanges every interval, and soon after
/// `recorded` (the store's) brings an event of mine, so a sign-off reaches
/// the others within their interval plus a second or two. `None` when the
/// release is not shared.
pub(crate) fn spawn_background(
    release: &Release,
    me: &str,
    flag: Role,
    config: &Config,
    mut recorded: Option<tokio::sync::broadcast::Receiver<std::sync::Arc<crate::timeline::Event>>>,
) -> Option<(tokio::task::JoinHandle<()>, watch::Receiver<Option<Report>>)> {
    let share = share::load(release, config).ok().flatten()?;
    let every = share.interval(config.sync_interval);
    let (tx, rx) = watch::channel(None);
    let release = release.clone();
    let me = me.to_string();
    let handle = tokio::spawn(async move {
        loop {
            let seat = {
                let (release, me) = (release.clone(), me.clone());
                tokio::task::spawn_blocking(move || {
                    release
                        .read_events()
                        .map(|e| seat_in(&fold(&release.plan, &e), &me, flag))
                        .unwrap_or(Role::JumpSeat)
                })
                .await
                .unwrap_or(Role::JumpSeat)
            };
            let report = share::exchange(&release, &share, &me, seat)
                .await
                .unwrap_or_else(|e| Report {
                    error: Some(e.to_string()),
                    ..Report::default()
                });
            if tx.send(Some(report)).is_err() {
                return;
            }
            let me = me.clone();
            let mine = async {
                loop {
                    match recorded.as_mut() {
                        Some(rx) => match rx.recv().await {
                            Ok(e) if crate::crew::same_login(&e.author, &me) => return,
                            Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                            Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                                std::future::pending::<()>().await
                            }
                        },
                        None => std::future::pending::<()>().await,
                    }
                }
            };
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                () = mine => tokio::time::sleep(COALESCE).await,
            }
        }
    });
    Some((handle, rx))
}
