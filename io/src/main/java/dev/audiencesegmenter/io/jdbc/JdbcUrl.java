package dev.audiencesegmenter.io.jdbc;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * A PostgreSQL JDBC URL split into the URL without its password and the password, so that the
 * password never shows in display data, logs or error messages.
 */
final class JdbcUrl {
  private static final Pattern PASSWORD_PARAM =
      Pattern.compile("([?&][^=&]*password[^=&]*=)[^&]*", Pattern.CASE_INSENSITIVE);
  private static final Pattern USER_INFO = Pattern.compile("(//[^/@:]*:)[^/@]*@");

  private final String withoutPassword;
  private final @Nullable String password;

  private JdbcUrl(String withoutPassword, @Nullable String password) {
    this.withoutPassword = withoutPassword;
    this.password = password;
  }

  /** Takes the {@code password} query parameter (URL-decoded, as the driver does) out. */
  static JdbcUrl parse(String url) {
    int query = url.indexOf('?');
    if (query < 0) {
      return new JdbcUrl(url, null);
    }
    String password = null;
    List<String> kept = new ArrayList<>();
    for (String param : url.substring(query + 1).split("&")) {
      if (param.startsWith("password=")) {
        password = URLDecoder.decode(param.substring("password=".length()),
            StandardCharsets.UTF_8);
      } else if (!param.isEmpty()) {
        kept.add(param);
      }
    }
    String base = url.substring(0, query);
    return new JdbcUrl(kept.isEmpty() ? base : base + "?" + String.join("&", kept), password);
  }

  String withoutPassword() {
    return withoutPassword;
  }

  @Nullable String password() {
    return password;
  }

  /** The URL with any password replaced by {@code ***}, for messages. */
  static String mask(@Nullable String url) {
    if (url == null) {
      return null;
    }
    String masked = PASSWORD_PARAM.matcher(url).replaceAll("$1***");
    return USER_INFO.matcher(masked).replaceAll("$1***@");
  }
}
