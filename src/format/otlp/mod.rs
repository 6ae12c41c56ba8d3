//! OpenTelemetry OTLP JSON (claude-code.md §4).
//!
//! Not read yet: the reader recognises nothing (work in progress).

use super::{ActionSet, Ctx, Framing, Reader};
use crate::model::{Event, Format, Loc};

/// The reader.
pub struct Otlp;

impl Reader for Otlp {
    fn format(&self) -> Format {
        Format::Otlp
    }
    fn sniff(&self, _head: &[u8]) -> bool {
        false
    }
    fn framing(&self) -> Framing {
        Framing::Objects
    }
    fn produces(&self) -> ActionSet {
        ActionSet::AGENTS.or(ActionSet::TOOLS).or(ActionSet::USAGE)
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
