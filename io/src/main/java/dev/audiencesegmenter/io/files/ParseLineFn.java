package dev.audiencesegmenter.io.files;

import dev.audiencesegmenter.model.DeadLetter;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TupleTag;

/**
 * Parses each raw line (key; the value is the CSV row as JSON, or null) into
 * {@code KV(raw line, record)}, or a dead letter with the reason and the raw line; a record
 * also leaves a dead letter per unreadable consent value (read as withdrawn). Metrics:
 * lines_read, records_parsed, dead_lettered, consent_values_unreadable.
 */
final class ParseLineFn<T> extends DoFn<KV<String, String>, KV<String, T>> {
  private final LineParser<T> parser;
  private final String step;
  private final TupleTag<KV<String, T>> parsedTag;
  private final TupleTag<DeadLetter> rejectedTag;
  private final Counter linesRead;
  private final Counter recordsParsed;
  private final Counter deadLettered;
  private final Counter unreadableConsent;
  private final Counter skipped;

  ParseLineFn(LineParser<T> parser, String step, String namespace,
      TupleTag<KV<String, T>> parsedTag, TupleTag<DeadLetter> rejectedTag) {
    this.parser = parser;
    this.step = step;
    this.parsedTag = parsedTag;
    this.rejectedTag = rejectedTag;
    this.linesRead = Metrics.counter(namespace, "lines_read");
    this.recordsParsed = Metrics.counter(namespace, "records_parsed");
    this.deadLettered = Metrics.counter(namespace, "dead_lettered");
    this.unreadableConsent = Metrics.counter(namespace, "consent_values_unreadable");
    this.skipped = Metrics.counter(namespace, "records_skipped");
  }

  @ProcessElement
  public void process(@Element KV<String, String> line, MultiOutputReceiver out) {
    linesRead.inc();
    String raw = line.getKey();
    try {
      LineParser.Noted<T> parsed = parser.parseNoted(raw, line.getValue());
      if (parsed.isSkipped()) {
        skipped.inc();  // the mapping does not read this kind of record
        return;
      }
      recordsParsed.inc();
      out.get(parsedTag).output(KV.of(raw, parsed.record()));
      for (String note : parsed.notes()) {
        unreadableConsent.inc();
        out.get(rejectedTag).output(DeadLetter.create(step, note, parser.shorten(raw)));
      }
    } catch (BadRecordException e) {
      deadLettered.inc();
      out.get(rejectedTag).output(DeadLetter.create(step, e.getMessage(), parser.shorten(raw)));
    }
  }
}
