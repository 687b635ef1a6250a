package io.pulse.config;

import java.util.Locale;

/** The SMTP server owner notices go through ({@code host == null}: notices are logged instead). */
public record MailConfig(String host, int port, String user, String password, String from, String starttls) {

  static MailConfig read(Values v) {
    return new MailConfig(v.text("PULSE_SMTP_HOST"), v.integer("PULSE_SMTP_PORT", 1, 65535), v.text("PULSE_SMTP_USER"),
        v.text("PULSE_SMTP_PASSWORD"), v.text("PULSE_SMTP_FROM"), starttls(v.text("PULSE_SMTP_STARTTLS")));
  }

  private static String starttls(String text) {
    switch (text.toLowerCase(Locale.ROOT)) {
      case "true":
      case "required":
        return "required";
      case "false":
      case "disabled":
        return "disabled";
      case "optional":
        return "optional";
      default:
        throw new ConfigException("PULSE_SMTP_STARTTLS",
            "must be required, optional or disabled (true/false), got '" + text + "'");
    }
  }

  @Override
  public String toString() {
    return "MailConfig[host=" + host + ", port=" + port + ", user=" + user + ", password="
        + (password == null ? null : "****") + ", from=" + from + ", starttls=" + starttls + "]";
  }
}
