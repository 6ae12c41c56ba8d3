//! Claude Code agent-team files (claude-code.md §3).
//!
//! Not read yet: the reader recognises nothing (work in progress).

use super::{ActionSet, Ctx, Framing, Reader};
use crate::model::{Event, Format, Loc};

/// The reader.
pub struct Team;

impl Reader for Team {
    fn format(&self) -> Format {
        Format::Team
    }
    fn sniff(&self, _head: &[u8]) -> bool {
        false
    }
    fn framing(&self) -> Framing {
        Framing::Objects
    }
    fn produces(&self) -> ActionSet {
        ActionSet::AGENTS
            .or(ActionSet::TASKS)
            .or(ActionSet::MESSAGES)
    }
    fn parse<'a>(
        &self,
        _record: &'a [u8],
        _loc: Loc,
        _ctx: &Ctx<'a>,
        _out: &mut dyn FnMut(Event<'a>),
    ) -> Result<(), String> {
        Ok(())
    }
    fn summarize(&self, ev: &Event<'_>) -> String {
        ev.kind.to_string()
    }
}
