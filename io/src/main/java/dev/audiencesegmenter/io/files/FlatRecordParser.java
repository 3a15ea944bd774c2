package dev.audiencesegmenter.io.files;

import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * A parser of the native formats, whose fields are all at the top level: it reads them in one
 * pass over the token stream ({@link JsonRecord}), without building a tree.
 */
interface FlatRecordParser<T> extends RecordParser<T> {

  /** The top-level fields {@link #parse} reads, and which of them are maps. */
  JsonRecord.Schema schema();

  /** Checks the fields, in a fixed order: the first failed check is the reason. */
  T parse(JsonRecord json) throws BadRecordException;

  @Override
  default LineParser.Noted<T> read(ObjectMapper mapper, String json)
      throws BadRecordException {
    JsonRecord record = JsonRecord.read(mapper, schema(), json);
    if (record.kind(JsonRecord.CSV_ERROR) != JsonRecord.ABSENT) {
      throw new BadRecordException("malformed CSV: " + record.text(JsonRecord.CSV_ERROR));
    }
    return new LineParser.Noted<>(parse(record), record.notes());
  }
}
