//! Claude Code session transcripts (claude-code.md §1).
//!
//! Not read yet: the reader recognises nothing (work in progress).

use super::{ActionSet, Ctx, Framing, Reader};
use crate::model::{Event, Format, Loc};

/// The reader.
pub struct Transcript;

impl Reader for Transcript {
    fn format(&self) -> Format {
        Format::Transcript
    }
    fn sniff(&self, _head: &[u8]) -> bool {
        false
    }
    fn framing(&self) -> Framing {
        Framing::Objects
    }
    fn produces(&self) -> ActionSet {
        ActionSet::AGENTS
            .or(ActionSet::TOOLS)
            .or(ActionSet::USAGE)
            .or(ActionSet::CONVERSATION)
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
