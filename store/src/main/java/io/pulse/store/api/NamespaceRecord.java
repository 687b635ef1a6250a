package io.pulse.store.api;

import io.vertx.codegen.annotations.DataObject;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.time.Instant;
import java.util.List;

/**
 * One namespace as the database holds it: the truth about its RabbitMQ users. User {@code n} (1 or 2) has
 * the password {@code password(n)}; a {@code null} password means that user exists but cannot log in (standby).
 * A record is {@code provisioned} once both users and their permissions exist in RabbitMQ; before that it is
 * invisible to readers and the next claim finishes the work.
 */
@DataObject
public class NamespaceRecord {

  private final String name;
  private final Instant created;
  private final Instant expires;
  private final String contact;
  private final int activeUser;
  private final String password1;
  private final String password2;
  private final Instant nextRotation;
  private final boolean provisioned;
  private final boolean expiring;
  private final int rotations;
  private final boolean usersMarked;
  private List<String> contacts;
  private Long alertThreshold;
  private Long deleteThreshold;

  public NamespaceRecord(String name, Instant created, Instant expires, String contact, int activeUser,
      String password1, String password2, Instant nextRotation, boolean provisioned, boolean expiring, int rotations) {
    this(name, created, expires, contact, activeUser, password1, password2, nextRotation, provisioned, expiring,
        rotations, true);
  }

  public NamespaceRecord(String name, Instant created, Instant expires, String contact, int activeUser,
      String password1, String password2, Instant nextRotation, boolean provisioned, boolean expiring, int rotations,
      boolean usersMarked) {
    this.name = name;
    this.created = created;
    this.expires = expires;
    this.contact = contact;
    this.activeUser = activeUser;
    this.password1 = password1;
    this.password2 = password2;
    this.nextRotation = nextRotation;
    this.provisioned = provisioned;
    this.expiring = expiring;
    this.rotations = rotations;
    this.usersMarked = usersMarked;
  }

  public NamespaceRecord(JsonObject json) {
    this(json.getString("name"), json.getInstant("created"), json.getInstant("expires"), json.getString("contact"),
        json.getInteger("activeUser", 1), json.getString("password1"), json.getString("password2"),
        json.getInstant("nextRotation"), json.getBoolean("provisioned", false), json.getBoolean("expiring", false),
        json.getInteger("rotations", 0), json.getBoolean("usersMarked", true));
    JsonArray list = json.getJsonArray("contacts");
    this.contacts = list == null ? null : list.stream().map(String::valueOf).toList();
    this.alertThreshold = json.getLong("alertThreshold");
    this.deleteThreshold = json.getLong("deleteThreshold");
  }

  /**
   * This record with the owner's own settings: {@code contacts} (null: the claim's contact is told) and the monitor's
   * thresholds for this namespace (null: the operator's).
   */
  public NamespaceRecord withSettings(List<String> contacts, Long alertThreshold, Long deleteThreshold) {
    NamespaceRecord copy = new NamespaceRecord(name, created, expires, contact, activeUser, password1, password2,
        nextRotation, provisioned, expiring, rotations, usersMarked);
    copy.contacts = contacts == null ? null : List.copyOf(contacts);
    copy.alertThreshold = alertThreshold;
    copy.deleteThreshold = deleteThreshold;
    return copy;
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("name", name)
        .put("created", created)
        .put("expires", expires)
        .put("contact", contact)
        .put("activeUser", activeUser)
        .put("password1", password1)
        .put("password2", password2)
        .put("nextRotation", nextRotation)
        .put("provisioned", provisioned)
        .put("expiring", expiring)
        .put("rotations", rotations)
        .put("usersMarked", usersMarked)
        .put("contacts", contacts == null ? null : new JsonArray(contacts))
        .put("alertThreshold", alertThreshold)
        .put("deleteThreshold", deleteThreshold);
  }

  public String name() {
    return name;
  }

  public Instant created() {
    return created;
  }

  public Instant expires() {
    return expires;
  }

  public String contact() {
    return contact;
  }

  /** The owner's list of whom to warn, or {@code null} when the owner set none (then {@link #contact()} is told). */
  public List<String> contacts() {
    return contacts;
  }

  /** Whom the monitor warns: the owner's list when set, else the claim's contact (empty when neither). */
  public List<String> effectiveContacts() {
    return contacts != null ? contacts : contact == null ? List.of() : List.of(contact);
  }

  /** The owner's alert threshold for this namespace, or {@code null} for the operator's. */
  public Long alertThreshold() {
    return alertThreshold;
  }

  /** The owner's delete threshold for this namespace, or {@code null} for the operator's. */
  public Long deleteThreshold() {
    return deleteThreshold;
  }

  public int activeUser() {
    return activeUser;
  }

  /** The password of user 1 or 2, {@code null} while that user is on standby without one. */
  public String password(int user) {
    String password = user == 1 ? password1 : password2;
    if (WITHHELD.equals(password)) {
      throw new IllegalStateException("the passwords of namespace " + name + " were not read with this record");
    }
    return password;
  }

  /**
   * Stands for a password the store did not open (records that sweeps lease, which never hand a password out): it
   * still tells which users have one, and {@link #password} refuses to answer it.
   */
  public static final String WITHHELD = "\u0000withheld";

  /** This record without its passwords (each present one {@link #WITHHELD}). */
  public NamespaceRecord withoutPasswords() {
    NamespaceRecord copy = new NamespaceRecord(name, created, expires, contact, activeUser,
        password1 == null ? null : WITHHELD, password2 == null ? null : WITHHELD, nextRotation, provisioned, expiring,
        rotations, usersMarked);
    copy.contacts = contacts;
    copy.alertThreshold = alertThreshold;
    copy.deleteThreshold = deleteThreshold;
    return copy;
  }

  public Instant nextRotation() {
    return nextRotation;
  }

  public boolean provisioned() {
    return provisioned;
  }

  /** Whether the namespace is being removed (expired or revoked). */
  public boolean expiring() {
    return expiring;
  }

  /** How many times the passwords rotated. */
  public int rotations() {
    return rotations;
  }

  /**
   * Whether this record's users carry the service's tag in RabbitMQ. False only for records made before the tag
   * existed, until reconciliation tags their users: then a user of this record without the tag is still the
   * service's own; once true, such a user is somebody else's.
   */
  public boolean usersMarked() {
    return usersMarked;
  }

  /**
   * Whether user {@code n} exists in RabbitMQ: user 1 from the first claim, user 2 from the first rotation on (a
   * first claim then needs two management calls, not four).
   */
  public boolean hasUser(int n) {
    return n == activeUser || rotations > 0 || (n == 2 && password2 != null);
  }

  /** The user on standby: the one the next rotation gives a fresh password and makes active. */
  public int standbyUser() {
    return activeUser == 1 ? 2 : 1;
  }

  /** Deliberately without the passwords, so a record can be logged. */
  @Override
  public String toString() {
    return "NamespaceRecord[name=" + name + ", activeUser=" + activeUser + ", expires=" + expires
        + ", nextRotation=" + nextRotation + ", provisioned=" + provisioned + ", expiring=" + expiring
        + ", rotations=" + rotations + ", usersMarked=" + usersMarked + "]";
  }
}
