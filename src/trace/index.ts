/**
 * `concur-patterns/trace`: the events every pattern records, and what turns a saved event stream into a picture:
 * the run model, a Chrome/Perfetto trace, and a text timeline. See src/trace/README.md for the schema.
 */
export {
  recorder,
  type EventLog,
  type ConcurEvent,
  type EventKind,
  type EventData,
  type ProcessRef,
} from './events.js';
export { epochNow } from './clock.js';
export { buildModel, type RunModel, type Life, type Span, type Flow, type Row } from './model.js';
export { chromeTrace, type ChromeTrace, type TraceEvent } from './chrome.js';
export { renderTimeline, type TimelineOptions } from './timeline.js';
