//! Progress on stderr for long listings and reports, when stderr is a terminal (nothing at all
//! when it is not: scripts, pipes, CI): a bar where the total is known, a spinner with a count
//! otherwise.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

pub(crate) struct Progress(Option<ProgressBar>);

impl Progress {
    /// Counts `what` as they arrive.
    pub(crate) fn counting(what: &'static str) -> Self {
        Self::start(format!("{{spinner}} {{pos}} {what}"))
    }

    /// Shows that `what` is under way.
    pub(crate) fn working(what: &'static str) -> Self {
        Self::start(format!("{{spinner}} {what} ({{elapsed}})"))
    }

    /// A bar up to `total` (an estimate: the bar stops at it, the count goes on), with a message.
    pub(crate) fn bar(total: u64) -> Self {
        if !std::io::stderr().is_terminal() {
            return Self(None);
        }
        let bar = ProgressBar::new(total);
        if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} {msg} ({eta} left)") {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(100));
        Self(Some(bar))
    }

    /// Moves the bar to `position`.
    pub(crate) fn set(&self, position: u64) {
        if let Some(bar) = &self.0 {
            bar.set_position(position);
        }
    }

    /// Says what is under way.
    pub(crate) fn message(&self, message: &'static str) {
        if let Some(bar) = &self.0 {
            bar.set_message(message);
        }
    }

    fn start(template: String) -> Self {
        if !std::io::stderr().is_terminal() {
            return Self(None);
        }
        let bar = ProgressBar::new_spinner();
        if let Ok(style) = ProgressStyle::with_template(&template) {
            bar.set_style(style);
        }
        bar.enable_steady_tick(Duration::from_millis(100));
        Self(Some(bar))
    }

    pub(crate) fn inc(&self) {
        if let Some(bar) = &self.0 {
            bar.inc(1);
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
