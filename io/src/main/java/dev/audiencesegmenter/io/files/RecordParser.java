package dev.audiencesegmenter.io.files;

import java.io.Serializable;

/** Turns one JSON object (from a JSON line, or a CSV row) into a record, or says why not. */
interface RecordParser<T> extends Serializable {

  /** The top-level fields {@link #parse} reads, and which of them are maps. */
  JsonRecord.Schema schema();

  /** Checks the fields, in a fixed order: the first failed check is the reason. */
  T parse(JsonRecord json) throws BadRecordException;

  /** The record's identifiers ({@code ids}), which the readers cap in number. */
  java.util.Map<String, String> identifiers(T record);

  /** The key under which two records are duplicates: source and record id. */
  String duplicateKey(T record);

  /** Which CSV columns hold nested maps, by prefix: {@code ids}, {@code props}, ... */
  java.util.Set<String> csvMapColumns();
}
