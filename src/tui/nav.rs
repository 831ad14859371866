//! Moving around: cursors, pages, clicks and the wheel, and keeping every
//! cursor on screen for the current size, zoom and filters. Pure, like
//! `update`, and laid out by the same [`layout::zoomed`] the view draws with.

use super::layout::{self, Areas, inner_height};
use super::model::{Model, Pane};
use ratatui::layout::Rect;

/// Where the panes are for the model's size, focus and zoom.
pub(crate) fn areas(m: &Model) -> Option<Areas> {
    areas_at(m, m.ui.size.0, m.ui.size.1)
}

/// Where the panes are on a screen of this size: the one layout the view
/// draws and `update` hit-tests with.
pub(crate) fn areas_at(m: &Model, width: u16, height: u16) -> Option<Areas> {
    let board = |w: u16| super::panes::probes::rows(m, usize::from(w)).len().max(1);
    layout::zoomed(width, height, m.ui.focus, m.ui.zoom, &board)
}

pub(crate) fn pane_rect(m: &Model, pane: Pane) -> Option<Rect> {
    areas(m)?.of(pane)
}

/// The number of timeline entries shown (after the filters).
pub(crate) fn tl_len(m: &Model) -> usize {
    match &m.ui.timeline_view {
        Some(v) => v.len(),
        None => m.state.timeline.len(),
    }
}

/// The timeline position of the `k`th entry shown.
pub(crate) fn tl_pos(m: &Model, k: usize) -> Option<usize> {
    match &m.ui.timeline_view {
        Some(v) => v.get(k).copied(),
        None => (k < m.state.timeline.len()).then_some(k),
    }
}

/// Which entry shown a timeline position is, if it is shown.
fn tl_index(m: &Model, pos: usize) -> Option<usize> {
    match &m.ui.timeline_view {
        Some(v) => v.binary_search(&pos).ok(),
        None => (pos < m.state.timeline.len()).then_some(pos),
    }
}

/// The selected entry, as an index among those shown.
fn tl_selected(m: &Model) -> Option<usize> {
    let len = tl_len(m);
    match &m.ui.selected_event {
        Some((pos, _)) => tl_index(m, *pos),
        None => len.checked_sub(1),
    }
}

/// The board lines shown (after the filters), in order.
pub(crate) fn board_lines(m: &Model) -> Vec<usize> {
    match &m.ui.board_view {
        Some(v) => v.clone(),
        None => (0..m.board.lines.len()).collect(),
    }
}

fn page(m: &Model, pane: Pane) -> isize {
    let h = pane_rect(m, pane).map(inner_height).unwrap_or(10);
    h.saturating_sub(1).max(1) as isize
}

pub(crate) fn page_up(m: &mut Model, pane: Pane) {
    let p = page(m, pane);
    move_by(m, pane, -p);
}

pub(crate) fn page_down(m: &mut Model, pane: Pane) {
    let p = page(m, pane);
    move_by(m, pane, p);
}

fn clamp_add(pos: usize, delta: isize, len: usize) -> usize {
    if len == 0 {
        return 0;
    }
    let p = pos as isize + delta;
    p.clamp(0, len as isize - 1) as usize
}

pub(crate) fn move_by(m: &mut Model, pane: Pane, delta: isize) {
    match pane {
        Pane::Checklist => m.ui.cursor = clamp_add(m.ui.cursor, delta, m.ui.rows.len()),
        Pane::Probes => {
            let lines = board_lines(m);
            let here = lines
                .iter()
                .position(|&l| l == m.ui.board_cursor)
                .unwrap_or(0);
            if let Some(&l) = lines.get(clamp_add(here, delta, lines.len())) {
                m.ui.board_cursor = l;
            }
        }
        Pane::Timeline => {
            let len = tl_len(m);
            if len == 0 {
                return;
            }
            let cur = tl_selected(m).unwrap_or(len - 1);
            let next = clamp_add(cur, delta, len);
            if delta > 0 && next == len - 1 {
                // Reaching the newest resumes following.
                m.ui.selected_event = None;
            } else {
                select_shown(m, next);
            }
        }
    }
}

/// `None`: the last (and, in the timeline, follow the newest).
pub(crate) fn move_to(m: &mut Model, pane: Pane, pos: Option<usize>) {
    match pane {
        Pane::Checklist => m.ui.cursor = pos.unwrap_or(m.ui.rows.len().saturating_sub(1)),
        Pane::Probes => {
            let lines = board_lines(m);
            let pick = match pos {
                Some(p) => lines.get(p),
                None => lines.last(),
            };
            if let Some(&l) = pick {
                m.ui.board_cursor = l;
            }
        }
        Pane::Timeline => match pos {
            Some(p) if tl_len(m) > 0 => select_shown(m, p),
            _ => m.ui.selected_event = None,
        },
    }
}

/// Selects the `k`th timeline entry shown.
fn select_shown(m: &mut Model, k: usize) {
    if let Some(pos) = tl_pos(m, k)
        && let Some(&i) = m.state.timeline.get(pos)
    {
        m.ui.selected_event = Some((pos, m.state.events[i].id.clone()));
    }
}

pub(crate) fn pane_at(m: &Model, col: u16, row: u16) -> Option<Pane> {
    let a = areas(m)?;
    [Pane::Checklist, Pane::Probes, Pane::Timeline]
        .into_iter()
        .find(|p| a.of(*p).is_some_and(|r| layout::contains(r, col, row)))
}

pub(crate) fn click(m: &mut Model, col: u16, row: u16) {
    let Some(pane) = pane_at(m, col, row) else {
        return;
    };
    m.ui.focus = Some(pane);
    let Some(r) = pane_rect(m, pane) else { return };
    if row <= r.y || row + 1 >= r.y + r.height {
        return; // a border
    }
    let line = usize::from(row - r.y - 1);
    match pane {
        Pane::Checklist => {
            let p = m.ui.offset + line;
            if p < m.ui.rows.len() {
                m.ui.cursor = p;
            }
        }
        Pane::Probes => {
            let rows = super::panes::probes::rows(m, usize::from(r.width.saturating_sub(2)));
            if let Some((l, _)) = rows.get(m.ui.board_offset + line) {
                m.ui.board_cursor = *l;
            }
        }
        Pane::Timeline => {
            let first = timeline_first(m, inner_height(r));
            let k = first + line;
            let len = tl_len(m);
            if k < len {
                if k + 1 == len {
                    m.ui.selected_event = None;
                } else {
                    select_shown(m, k);
                }
            }
        }
    }
}

/// The first timeline entry on screen (an index among those shown): the
/// newest page while following.
pub(crate) fn timeline_first(m: &Model, height: usize) -> usize {
    let len = tl_len(m);
    match m.ui.selected_event {
        None => len.saturating_sub(height),
        Some(_) => m.ui.timeline_offset.min(len.saturating_sub(1)),
    }
}

/// Scrolls so that rows `first..first + count` are on screen (the first of
/// them when they do not all fit).
fn scroll_into(offset: &mut usize, first: usize, count: usize, height: usize) {
    if height == 0 {
        return;
    }
    let last = first + count.clamp(1, height) - 1;
    if first < *offset {
        *offset = first;
    } else if last >= *offset + height {
        *offset = last + 1 - height;
    }
}

/// Keeps every cursor on screen for the current size (after any action),
/// with the rows and views the filters leave.
pub(crate) fn keep_in_view(m: &mut Model) {
    super::find::refresh_views(m);
    m.ui.cursor = m.ui.cursor.min(m.ui.rows.len().saturating_sub(1));
    m.ui.board_cursor = m.ui.board_cursor.min(m.board.lines.len().saturating_sub(1));
    let Some(a) = areas(m) else {
        return;
    };
    if let Some(c) = a.checklist {
        let h = inner_height(c);
        scroll_into(&mut m.ui.offset, m.ui.cursor, 1, h);
        // A shorter list (a filter, a search) never leaves blank rows above it.
        m.ui.offset = m.ui.offset.min(m.ui.rows.len().saturating_sub(h));
    }
    if let Some(p) = a.probes {
        let rows = super::panes::probes::rows(m, usize::from(p.width.saturating_sub(2)));
        let first = rows.iter().position(|(l, _)| *l == m.ui.board_cursor);
        let count = rows.iter().filter(|(l, _)| *l == m.ui.board_cursor).count();
        let h = inner_height(p);
        match first {
            Some(f) => scroll_into(&mut m.ui.board_offset, f, count, h),
            None => m.ui.board_offset = 0,
        }
        m.ui.board_offset = m.ui.board_offset.min(rows.len().saturating_sub(h));
    }
    let th = a.timeline.map(inner_height).unwrap_or(0);
    match tl_selected(m).filter(|_| m.ui.selected_event.is_some()) {
        Some(k) => scroll_into(&mut m.ui.timeline_offset, k, 1, th),
        // While following, remember where the newest page starts so that the
        // first step up scrolls from there instead of jumping to the top.
        None => m.ui.timeline_offset = tl_len(m).saturating_sub(th),
    }
}
