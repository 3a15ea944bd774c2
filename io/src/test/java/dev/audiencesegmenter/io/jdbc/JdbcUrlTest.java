package dev.audiencesegmenter.io.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class JdbcUrlTest {

  @Test
  void takesThePasswordOutOfTheUrl() {
    JdbcUrl url = JdbcUrl.parse(
        "jdbc:postgresql://h:5432/d?user=etl&password=p%40ss%3Bw&sslmode=require");
    assertEquals("jdbc:postgresql://h:5432/d?user=etl&sslmode=require", url.withoutPassword());
    // URL-decoded as the driver would: %40 is @, %3B is ;.
    assertEquals("p@ss;w", url.password());

    JdbcUrl onlyPassword = JdbcUrl.parse("jdbc:postgresql://h/d?password=x");
    assertEquals("jdbc:postgresql://h/d", onlyPassword.withoutPassword());
    assertEquals("x", onlyPassword.password());

    JdbcUrl none = JdbcUrl.parse("jdbc:postgresql://h/d?user=etl");
    assertEquals("jdbc:postgresql://h/d?user=etl", none.withoutPassword());
    assertNull(none.password());
  }

  @Test
  void masksPasswordsInMessages() {
    assertEquals("jdbc:postgresql://h/d?user=etl&password=***&ssl=true",
        JdbcUrl.mask("jdbc:postgresql://h/d?user=etl&password=secret&ssl=true"));
    assertEquals("jdbc:postgresql://h/d?PASSWORD=***&sslpassword=***",
        JdbcUrl.mask("jdbc:postgresql://h/d?PASSWORD=a&sslpassword=b"));
    assertEquals("jdbc:mysql://etl:***@h/d", JdbcUrl.mask("jdbc:mysql://etl:secret@h/d"));
    assertEquals("jdbc:postgresql://h:5432/d", JdbcUrl.mask("jdbc:postgresql://h:5432/d"));
    assertNull(JdbcUrl.mask(null));
  }
}
