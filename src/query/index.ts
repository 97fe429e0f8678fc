/**
 * The search language (SPEC section 3) as a library: parse text to a Query, print it back,
 * evaluate it over an InventoryGraph, or run it with its commands in one call.
 */
export type * from './ast';
export { COMMAND_NAMES, MUTATING_COMMANDS, isMutating } from './ast';
export { ParseError } from './errors';
export { Deadline, SearchTimeoutError } from './deadline';
export { parse } from './parser';
export { format } from './print';
export { evaluate } from './evaluate';
export type { EvaluateOptions } from './evaluate';
export { executeSearch, explainSearch } from './execute';
export type { SearchOptions, SearchResult } from './execute';
export { render } from './output';
export type { SearchOutput, CountOutput, ListOutput, DumpOutput, CleanOutput, ProtectOutput, AggregateOutput, ExplainOutput, RenderFormat, Cell } from './output';
export { parseDuration, parseDatetime, formatDuration } from './durations';
