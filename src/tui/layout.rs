//! Where each pane sits for a terminal size. One pure function, used by the
//! view to draw and by `update` to hit-test mouse clicks and keep cursors in
//! view, so the two can never disagree.

use super::model::Pane;
use ratatui::layout::Rect;

/// The smallest terminal the cockpit draws in; below it, a message says so.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;
/// From this width on, the probe board and the detail pane are both shown.
pub(crate) const WIDE: u16 = 120;
/// Height of the header.
pub(crate) const HEADER: u16 = 3;

/// What the zoom key (`z`, `d`) gives the whole body to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Zoom {
    /// A focusable pane.
    Pane(Pane),
    /// The detail pane of the selection.
    Detail,
}

/// Pane rectangles; `None` when a pane is not on screen at this size (or
/// another pane is zoomed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Areas {
    pub(crate) header: Rect,
    pub(crate) checklist: Option<Rect>,
    pub(crate) probes: Option<Rect>,
    pub(crate) detail: Option<Rect>,
    pub(crate) timeline: Option<Rect>,
    pub(crate) footer: Rect,
}

impl Areas {
    /// Where a focusable pane is drawn, if it is.
    pub(crate) fn of(&self, pane: Pane) -> Option<Rect> {
        match pane {
            Pane::Checklist => self.checklist,
            Pane::Probes => self.probes,
            Pane::Timeline => self.timeline,
        }
    }
}

/// Lays out the cockpit without a zoom, or `None` when the terminal is too small.
#[cfg(test)]
pub(crate) fn areas(width: u16, height: u16, focus: Option<Pane>) -> Option<Areas> {
    zoomed(width, height, focus, None, &|_| usize::MAX)
}

/// Lays out the cockpit; a zoomed pane gets everything between the header
/// and the status line.
///
/// Every pane is on screen from 60×16 on: the probe board and the detail pane
/// share the right column. The board gets the rows it needs (`board_rows`
/// tells how many it has at an inner width) while the detail pane keeps a
/// few, so a short board leaves the rest to the detail and a long one is
/// shown whole where the screen allows.
pub(crate) fn zoomed(
    width: u16,
    height: u16,
    focus: Option<Pane>,
    zoom: Option<Zoom>,
    board_rows: &dyn Fn(u16) -> usize,
) -> Option<Areas> {
    if width < MIN_WIDTH || height < MIN_HEIGHT {
        return None;
    }
    let header = Rect::new(0, 0, width, HEADER);
    let footer = Rect::new(0, height - 1, width, 1);
    let body_h = height - HEADER - 1;
    let body = Rect::new(0, HEADER, width, body_h);
    let mut a = Areas {
        header,
        footer,
        ..Areas::default()
    };
    match zoom {
        Some(Zoom::Pane(Pane::Checklist)) => a.checklist = Some(body),
        Some(Zoom::Pane(Pane::Probes)) => a.probes = Some(body),
        Some(Zoom::Pane(Pane::Timeline)) => a.timeline = Some(body),
        Some(Zoom::Detail) => a.detail = Some(body),
        None => {
            let timeline_h = (body_h * 35 / 100).max(5);
            let upper_h = body_h - timeline_h;
            a.timeline = Some(Rect::new(0, HEADER + upper_h, width, timeline_h));
            // Wide: half for the checklist, so step titles get room beside the board.
            let left_w = if width >= WIDE {
                width / 2
            } else {
                width * 55 / 100
            };
            a.checklist = Some(Rect::new(0, HEADER, left_w, upper_h));
            let right = Rect::new(left_w, HEADER, width - left_w, upper_h);
            // What the detail pane keeps: a third of the column, less on a
            // narrow screen, least while the board is focused there.
            let keep = match (width >= WIDE, focus) {
                (true, _) => right.height / 3,
                (false, Some(Pane::Probes)) => 3,
                (false, _) => right.height * 40 / 100,
            }
            .max(3);
            let need = board_rows(right.width.saturating_sub(2)).saturating_add(2);
            let most = right.height.saturating_sub(keep).max(3);
            let ph = u16::try_from(need).unwrap_or(u16::MAX).clamp(3, most);
            a.probes = Some(Rect::new(right.x, right.y, right.width, ph));
            a.detail = Some(Rect::new(
                right.x,
                right.y + ph,
                right.width,
                right.height - ph,
            ));
        }
    }
    Some(a)
}

/// Rows inside a bordered pane.
pub(crate) fn inner_height(r: Rect) -> usize {
    usize::from(r.height.saturating_sub(2))
}

/// Whether a point is inside a rectangle.
pub(crate) fn contains(r: Rect, col: u16, row: u16) -> bool {
    col >= r.x
        && col < r.x.saturating_add(r.width)
        && row >= r.y
        && row < r.y.saturating_add(r.height)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn panes_tile_the_screen_without_overlap() {
        for (w, h) in [
            (60, 16),
            (80, 24),
            (119, 30),
            (120, 30),
            (200, 50),
            (250, 80),
        ] {
            let zooms = [
                None,
                Some(Zoom::Pane(Pane::Checklist)),
                Some(Zoom::Pane(Pane::Probes)),
                Some(Zoom::Pane(Pane::Timeline)),
                Some(Zoom::Detail),
            ];
            for (focus, zoom) in [Pane::Checklist, Pane::Probes, Pane::Timeline]
                .into_iter()
                .flat_map(|f| zooms.iter().map(move |z| (f, *z)))
            {
                for rows in [0, 5, usize::MAX] {
                    let a = zoomed(w, h, Some(focus), zoom, &|_| rows).expect("big enough");
                    if zoom.is_none() {
                        assert!(
                            a.probes.is_some() && a.detail.is_some(),
                            "{w}x{h}: all shown"
                        );
                    }
                    let rects: Vec<Rect> = [
                        Some(a.header),
                        a.checklist,
                        a.probes,
                        a.detail,
                        a.timeline,
                        Some(a.footer),
                    ]
                    .into_iter()
                    .flatten()
                    .collect();
                    let area: u32 = rects
                        .iter()
                        .map(|r| u32::from(r.width) * u32::from(r.height))
                        .sum();
                    assert_eq!(area, u32::from(w) * u32::from(h), "{w}x{h}");
                    for (i, a) in rects.iter().enumerate() {
                        for b in &rects[i + 1..] {
                            assert!(!a.intersects(*b), "{w}x{h}: {a:?} overlaps {b:?}");
                        }
                    }
                }
            }
        }
        assert!(areas(59, 40, None).is_none());
        assert!(areas(100, 15, None).is_none());
    }
}
