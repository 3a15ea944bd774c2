package dev.audiencesegmenter.io.files;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.Serializable;

/** Turns one JSON object (from a JSON line, or a CSV row) into a record, or says why not. */
interface RecordParser<T> extends Serializable {

  T parse(ObjectNode json) throws BadRecordException;

  /** The key under which two records are duplicates: source and record id. */
  String duplicateKey(T record);

  /** Which CSV columns hold nested maps, by prefix: {@code ids}, {@code props}, ... */
  java.util.Set<String> csvMapColumns();
}
