//! Where each pane sits for a terminal size. One pure function, used by the
//! view to draw and by `update` to hit-test mouse clicks and keep cursors in
//! view, so the two can never disagree.

use super::model::Pane;
use ratatui::layout::Rect;

/// The smallest terminal the cockpit draws in; below it, a message says so.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 16;
/// From this width on, the probe board and the detail pane are both shown.
pub const WIDE: u16 = 120;
/// Height of the header.
pub const HEADER: u16 = 3;

/// Pane rectangles; `None` when a pane is not on screen at this size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Areas {
    pub header: Rect,
    pub checklist: Rect,
    pub probes: Option<Rect>,
    pub detail: Option<Rect>,
    pub timeline: Rect,
    pub footer: Rect,
}

/// Lays out the cockpit, or `None` when the terminal is too small.
pub fn areas(width: u16, height: u16, focus: Option<Pane>) -> Option<Areas> {
    if width < MIN_WIDTH || height < MIN_HEIGHT {
        return None;
    }
    let header = Rect::new(0, 0, width, HEADER);
    let footer = Rect::new(0, height - 1, width, 1);
    let body_h = height - HEADER - 1;
    let timeline_h = (body_h * 35 / 100).max(5);
    let upper_h = body_h - timeline_h;
    let timeline = Rect::new(0, HEADER + upper_h, width, timeline_h);
    let wide = width >= WIDE;
    let left_w = if wide {
        width * 45 / 100
    } else {
        width * 55 / 100
    };
    let checklist = Rect::new(0, HEADER, left_w, upper_h);
    let right = Rect::new(left_w, HEADER, width - left_w, upper_h);
    let (probes, detail) = if wide {
        let ph = right.height * 55 / 100;
        (
            Some(Rect::new(right.x, right.y, right.width, ph)),
            Some(Rect::new(
                right.x,
                right.y + ph,
                right.width,
                right.height - ph,
            )),
        )
    } else if focus == Some(Pane::Probes) {
        // Narrow: the probe board borrows the detail pane's place while focused.
        (Some(right), None)
    } else {
        (None, Some(right))
    };
    Some(Areas {
        header,
        checklist,
        probes,
        detail,
        timeline,
        footer,
    })
}

/// Rows inside a bordered pane.
pub fn inner_height(r: Rect) -> usize {
    usize::from(r.height.saturating_sub(2))
}

/// Whether a point is inside a rectangle.
pub fn contains(r: Rect, col: u16, row: u16) -> bool {
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
            for focus in [Pane::Checklist, Pane::Probes, Pane::Timeline] {
                let a = areas(w, h, Some(focus)).expect("big enough");
                let rects: Vec<Rect> = [
                    Some(a.header),
                    Some(a.checklist),
                    a.probes,
                    a.detail,
                    Some(a.timeline),
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
        assert!(areas(59, 40, None).is_none());
        assert!(areas(100, 15, None).is_none());
    }
}
