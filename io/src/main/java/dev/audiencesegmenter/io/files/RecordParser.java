package dev.audiencesegmenter.io.files;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.Serializable;

/** Turns one JSON object (from a JSON line, or a CSV row) into a record, or says why not. */
interface RecordParser<T> extends Serializable {

  /**
   * The record in {@code json} (the text of one JSON object) and the notes it leaves; the
   * size and encoding checks of the line are done.
   */
  LineParser.Noted<T> read(ObjectMapper mapper, String json) throws BadRecordException;

  /** The record's identifiers ({@code ids}), which the readers cap in number. */
  java.util.Map<String, String> identifiers(T record);

  /** The key under which two records are duplicates: source and record id. */
  String duplicateKey(T record);

  /** Which CSV columns hold nested maps, by prefix: {@code ids}, {@code props}, ... */
  java.util.Set<String> csvMapColumns();
}
