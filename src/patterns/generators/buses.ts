/**
 * An event-driven state machine fed by coroutines (Beazley's buses.py). An XML parser pushes events
 * (start of an element, text, end of an element) into a coroutine that assembles each <bus> into a record;
 * two filters keep route 22, north bound; a sink prints where those buses are. The state of the machine
 * ("outside a bus" / "inside one") is simply where the coroutine is waiting: which `yield` it is at.
 * Use it for parsers and protocol handlers that are handed input in pieces, as it arrives.
 * Try: concur demo generators
 */
import { coroutine, type Coroutine } from '../coroutine/coroutine.js';

/** What the parser pushes: one event per tag or run of text. */
export type XmlEvent = ['start', string] | ['text', string] | ['end', string];

/** A bus record: the text of each element inside one <bus>. */
export type Bus = Record<string, string>;

/** A few buses in the shape of the Chicago Transit Authority feed the course used (sample values). */
export const busesXml = `<?xml version="1.0"?>
<buses>
  <bus><id>7574</id><route>147</route><direction>North Bound</direction>
       <latitude>41.925682067871094</latitude><longitude>-87.63092803955078</longitude></bus>
  <bus><id>1485</id><route>22</route><direction>North Bound</direction>
       <latitude>41.880481123924255</latitude><longitude>-87.62948191165924</longitude></bus>
  <bus><id>1629</id><route>22</route><direction>South Bound</direction>
       <latitude>42.01851969751819</latitude><longitude>-87.6730209876751</longitude></bus>
  <bus><id>6745</id><route>36</route><direction>North Bound</direction>
       <latitude>41.89263093471527</latitude><longitude>-87.63177204132080</longitude></bus>
  <bus><id>4306</id><route>22</route><direction>North Bound</direction>
       <latitude>41.93152777777778</latitude><longitude>-87.64519444444445</longitude></bus>
</buses>
`;

/**
 * Push the events of `xml` into `target`: a very small tokenizer (elements and text only; no attributes,
 * comments or entities), standing in for expat, which calls back as it goes.
 */
export function parseXml(xml: string, target: Coroutine<XmlEvent>): void {
  for (const [, end, name, text] of xml.matchAll(/<(\/?)([A-Za-z][\w-]*)[^>]*>|([^<]+)/g)) {
    if (name !== undefined) target.next(end === '/' ? ['end', name] : ['start', name]);
    else if (text !== undefined && text.trim() !== '') target.next(['text', text]);
  }
}

/** The state machine: outside a <bus>, wait for one to start; inside, collect element texts until </bus>. */
export const busesToRecords = coroutine(function* busesToRecords(
  target: Coroutine<Bus>,
): Coroutine<XmlEvent, void> {
  for (;;) {
    const [event, value] = yield;
    if (event !== 'start' || value !== 'bus') continue;
    const bus: Bus = {};
    let fragments: string[] = [];
    for (;;) {
      const [inner, text] = yield;
      if (inner === 'start') fragments = [];
      else if (inner === 'text') fragments.push(text);
      else if (text !== 'bus') bus[text] = fragments.join('');
      else break;
    }
    target.next(bus);
  }
});

/** Pass on the records whose `field` equals `value`. */
export const filterOnField = coroutine(function* filterOnField(
  field: string,
  value: string,
  target: Coroutine<Bus>,
): Coroutine<Bus, void> {
  for (;;) {
    const bus = yield;
    if (bus[field] === value) target.next(bus);
  }
});

/** Print each bus as the course did: route,id,"direction",latitude,longitude. */
export const busLocations = coroutine(function* busLocations(
  print: (line: string) => void,
): Coroutine<Bus, void> {
  for (;;) {
    const bus = yield;
    print(`${bus.route},${bus.id},"${bus.direction}",${bus.latitude},${bus.longitude}`);
  }
});
