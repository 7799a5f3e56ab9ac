"""The clinic server's schema, as numbered migrations (PostgreSQL).

Never edit a migration that has shipped: add the next number. ``kaproom clinic init`` applies the
ones a database lacks, each in its own transaction, under an advisory lock so two computers
initialising at once do not race.

What the server holds, and who may write it:

- ``computers``: every room and office computer that joined, and the database role it logs in as.
  A role registers itself (the role is taken from the connection, never from what is sent).
- ``sessions`` and ``events``: the rooms' session chains, the same columns and hashes as the
  room's SQLite. Only the room that created a session adds to it. Each event is checked on
  arrival: its link to the previous event and its hash, recomputed here, in SQL, with the rules of
  :mod:`kaproom.domain.events`. An event the server already holds is skipped when it is the same
  (the same hash) and refused, naming it, when it differs. ``sessions`` is an index kept by the
  server in the same transaction, as the room's store keeps its own.
- ``office_events``: each office computer's own chain (sign-offs, review comments): one writer per
  chain, so no two computers ever write one chain.
- ``audit``: every computer's audit chain, as the computer recorded it.
- ``staff``: an early sketch of clinic-wide accounts (mutable, open to the offices' updates, never
  used), dropped by migration 0006: accounts live in ``account_versions``.
- ``account_versions``: the clinic-wide staff accounts, each change a new row published by the
  office computer that made it, witnessed by that office's audit entry (which must be on the server
  first, and say the same); rooms read them and keep a copy, so sign-in works offline.
- ``register_events``: each computer's controlled-substance stock register, a copy of its chain
  (one writer: the computer that keeps that register), checked on arrival like the audit log.

Events, office events, audit entries and register lines can be neither changed nor deleted (triggers), and the
rooms' and offices' roles are granted INSERT and SELECT on them only.
"""
from __future__ import annotations

#: Group roles that the login role of each room (or office computer) is a member of.
ROOM_GROUP = "kaproom_room"
OFFICE_GROUP = "kaproom_office"
SCHEMA = "kaproom"
#: The channel the board listens on; the payload is the session's uid.
BOARD_CHANNEL = "kaproom_board"
MIGRATIONS_TABLE = "kaproom.schema_migrations"

_ROLES = f"""
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROOM_GROUP}') THEN
    CREATE ROLE {ROOM_GROUP} NOLOGIN;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{OFFICE_GROUP}') THEN
    CREATE ROLE {OFFICE_GROUP} NOLOGIN;
  END IF;
END $$;
"""

_HASH = r"""
-- Python's repr() of a float, as canonical_json writes session_time: PostgreSQL's shortest form
-- with '.0' on whole numbers, and no exponent below 1e16 (PostgreSQL switches at 1e15).
CREATE FUNCTION kaproom.py_float(x double precision) RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
  t text := x::text;
  mantissa text; digits text; sign text := '';
BEGIN
  IF x = 'NaN'::float8 OR x = 'Infinity'::float8 OR x = '-Infinity'::float8 THEN
    RAISE EXCEPTION 'a session time must be a finite number, not %', t;
  END IF;
  IF t ~ 'e\+15$' THEN
    mantissa := split_part(t, 'e', 1);
    IF left(mantissa, 1) = '-' THEN sign := '-'; mantissa := substr(mantissa, 2); END IF;
    digits := replace(mantissa, '.', '');
    IF length(digits) <= 16 THEN
      RETURN sign || rpad(digits, 16, '0') || '.0';
    END IF;
    RETURN sign || left(digits, 16) || '.' || substr(digits, 17);
  END IF;
  IF t !~ '[.e]' THEN
    RETURN t || '.0';
  END IF;
  RETURN t;
END $$;

-- kaproom.domain.events.event_hash_of_text, byte for byte: SHA-256 over the canonical JSON of the
-- event (sorted keys, no spaces, UTF-8) with the payload as the canonical text it is stored as.
CREATE FUNCTION kaproom.event_hash(prev text, chain text, seq integer, kind text, wall_time text,
                                   session_time double precision, author text, phase text, payload text)
RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$
  SELECT encode(sha256(convert_to(
    '{"author":' || to_json(author)::text || ',"kind":' || to_json(kind)::text || ',"payload":' || payload ||
    ',"phase":' || to_json(phase)::text || ',"prev":' || to_json(prev)::text || ',"seq":' || seq::text ||
    ',"session":' || to_json(chain)::text || ',"session_time":' || kaproom.py_float(session_time) ||
    ',"wall_time":' || to_json(wall_time)::text || '}', 'UTF8')), 'hex')
$$;
"""

_TABLES = """
CREATE TABLE kaproom.computers (
  name text PRIMARY KEY CHECK (name <> '' AND length(name) <= 100),
  db_role text NOT NULL UNIQUE,
  kind text NOT NULL CHECK (kind IN ('room', 'office')),
  joined_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE kaproom.sessions (
  id bigserial UNIQUE,
  uid text PRIMARY KEY,
  created_at text NOT NULL,
  protocol_id text NOT NULL,
  protocol_name text NOT NULL,
  client_code text NOT NULL,
  therapist text NOT NULL,
  room text NOT NULL REFERENCES kaproom.computers(name),
  demo integer NOT NULL DEFAULT 0,
  origin text NOT NULL DEFAULT 'clinic',
  state text NOT NULL DEFAULT 'created',
  current_phase text NOT NULL DEFAULT '',
  started_at text,
  ended_at text,
  duration_seconds double precision,
  end_reason text NOT NULL DEFAULT '',
  cautions integer NOT NULL DEFAULT 0,
  urgents integer NOT NULL DEFAULT 0,
  music_errors integer NOT NULL DEFAULT 0,
  amendments integer NOT NULL DEFAULT 0,
  amended_after_signoff integer NOT NULL DEFAULT 0,
  signed_at text,
  signed_by text,
  last_seq integer NOT NULL DEFAULT 0,
  last_hash text NOT NULL DEFAULT '',
  dose_time double precision,
  -- For the live board: state, never notes.
  phase_since text,
  dose_at_session_time double precision,
  last_vitals text,
  last_vitals_at text,
  last_vitals_session_time double precision,
  last_session_time double precision NOT NULL DEFAULT 0,
  last_wall_time text,
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_created ON kaproom.sessions (created_at DESC, id DESC);
CREATE INDEX sessions_started ON kaproom.sessions ((COALESCE(started_at, created_at)) DESC, id DESC);
CREATE INDEX sessions_room ON kaproom.sessions (room, created_at DESC);

CREATE TABLE kaproom.events (
  id bigserial UNIQUE,
  session_uid text NOT NULL REFERENCES kaproom.sessions(uid),
  seq integer NOT NULL CHECK (seq >= 1),
  wall_time text NOT NULL,
  session_time double precision NOT NULL,
  author text NOT NULL,
  phase text NOT NULL,
  kind text NOT NULL,
  payload text NOT NULL,
  prev_hash text NOT NULL,
  hash text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (session_uid, seq)
);
CREATE INDEX events_kind ON kaproom.events (session_uid, kind);

CREATE TABLE kaproom.office_events (
  id bigserial UNIQUE,
  computer text NOT NULL REFERENCES kaproom.computers(name),
  seq integer NOT NULL CHECK (seq >= 1),
  session_uid text REFERENCES kaproom.sessions(uid),
  wall_time text NOT NULL,
  author text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('signoff', 'comment')),
  payload text NOT NULL,
  prev_hash text NOT NULL,
  hash text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (computer, seq)
);
CREATE INDEX office_events_session ON kaproom.office_events (session_uid);

CREATE TABLE kaproom.audit (
  id bigserial UNIQUE,
  computer text NOT NULL REFERENCES kaproom.computers(name),
  seq integer NOT NULL CHECK (seq >= 1),
  wall_time text NOT NULL,
  actor text NOT NULL,
  kind text NOT NULL,
  payload text NOT NULL,
  prev_hash text NOT NULL,
  hash text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (computer, seq)
);

-- Each chain's head on the server, moved in the same transaction as the entry (for office and audit
-- chains; a session's head is in kaproom.sessions).
CREATE TABLE kaproom.chain_heads (
  chain text PRIMARY KEY,
  last_seq integer NOT NULL,
  last_hash text NOT NULL
);

CREATE TABLE kaproom.staff (
  name_key text PRIMARY KEY,
  name text NOT NULL,
  role text NOT NULL CHECK (role IN ('therapist', 'supervisor', 'admin')),
  secret_hash text NOT NULL,
  secret_kind text NOT NULL CHECK (secret_kind IN ('pin', 'passphrase')),
  active integer NOT NULL DEFAULT 1,
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text NOT NULL DEFAULT session_user
);
"""

_TRIGGERS = r"""
CREATE FUNCTION kaproom.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'kaproom: % is append-only: its rows can be neither changed nor deleted', TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON kaproom.events
  FOR EACH ROW EXECUTE FUNCTION kaproom.refuse_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON kaproom.events
  FOR EACH STATEMENT EXECUTE FUNCTION kaproom.refuse_change();
CREATE TRIGGER office_events_append_only BEFORE UPDATE OR DELETE ON kaproom.office_events
  FOR EACH ROW EXECUTE FUNCTION kaproom.refuse_change();
CREATE TRIGGER office_events_no_truncate BEFORE TRUNCATE ON kaproom.office_events
  FOR EACH STATEMENT EXECUTE FUNCTION kaproom.refuse_change();
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON kaproom.audit
  FOR EACH ROW EXECUTE FUNCTION kaproom.refuse_change();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON kaproom.audit
  FOR EACH STATEMENT EXECUTE FUNCTION kaproom.refuse_change();
CREATE TRIGGER computers_fixed BEFORE UPDATE OR DELETE ON kaproom.computers
  FOR EACH ROW EXECUTE FUNCTION kaproom.refuse_change();

-- A computer registers itself: its role is the connection's, and it must be in the right group.
CREATE FUNCTION kaproom.computer_joins() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
BEGIN
  NEW.db_role := session_user;
  NEW.joined_at := now();
  IF NEW.kind = 'room' AND NOT pg_has_role(session_user, 'kaproom_room', 'MEMBER') THEN
    RAISE EXCEPTION 'kaproom: the database role % is not a room role (GRANT kaproom_room TO %)',
      session_user, session_user USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NEW.kind = 'office' AND NOT pg_has_role(session_user, 'kaproom_office', 'MEMBER') THEN
    RAISE EXCEPTION 'kaproom: the database role % is not an office role (GRANT kaproom_office TO %)',
      session_user, session_user USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER computers_join BEFORE INSERT ON kaproom.computers
  FOR EACH ROW EXECUTE FUNCTION kaproom.computer_joins();

CREATE FUNCTION kaproom.computer_of(wanted text) RETURNS text
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
  SELECT name FROM kaproom.computers WHERE db_role = session_user AND kind = wanted
$$;

-- Every session event is checked on arrival; the sessions index moves with it.
CREATE FUNCTION kaproom.event_arrives() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
  me text := kaproom.computer_of('room');
  head record;
  held text;
  expected_prev text;
  body jsonb;
  level text;
BEGIN
  IF me IS NULL THEN
    RAISE EXCEPTION 'kaproom: the database role % has not joined as a room: only rooms add session events',
      session_user USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT room, last_seq, last_hash INTO head FROM kaproom.sessions WHERE uid = NEW.session_uid FOR UPDATE;
  IF NOT FOUND THEN
    IF NEW.seq <> 1 OR NEW.kind <> 'session_created' THEN
      RAISE EXCEPTION 'kaproom: session % is not on the clinic server yet, and event % of it came first: '
        'a session is sent from its first event', NEW.session_uid, NEW.seq USING ERRCODE = 'KR002';
    END IF;
    body := NEW.payload::jsonb;
    INSERT INTO kaproom.sessions (uid, created_at, protocol_id, protocol_name, client_code, therapist, room, demo)
    VALUES (NEW.session_uid, NEW.wall_time, coalesce(body #>> '{protocol,id}', ''),
            coalesce(body #>> '{protocol,name}', ''), coalesce(body ->> 'client_code', ''),
            coalesce(body ->> 'therapist', ''), me,
            CASE WHEN body ->> 'demo' = 'true' THEN 1 ELSE 0 END);
    SELECT room, last_seq, last_hash INTO head FROM kaproom.sessions WHERE uid = NEW.session_uid FOR UPDATE;
  ELSIF head.room <> me THEN
    RAISE EXCEPTION 'kaproom: room % may not add events to session % (it is room %''s session)',
      me, NEW.session_uid, head.room USING ERRCODE = 'KR003';
  END IF;
  IF NEW.seq <= head.last_seq THEN
    SELECT hash INTO held FROM kaproom.events e WHERE e.session_uid = NEW.session_uid AND e.seq = NEW.seq
       AND e.hash = NEW.hash AND e.prev_hash = NEW.prev_hash AND e.payload = NEW.payload AND e.kind = NEW.kind
       AND e.wall_time = NEW.wall_time AND e.session_time = NEW.session_time AND e.author = NEW.author
       AND e.phase = NEW.phase;
    IF FOUND THEN
      RETURN NULL;  -- the server already has this very event: sending it twice changes nothing
    END IF;
    RAISE EXCEPTION 'kaproom: history differs: event % of session % (room %) is not the event the clinic holds. '
      'Refused; nothing was merged.', NEW.seq, NEW.session_uid, me USING ERRCODE = 'KR001';
  END IF;
  IF NEW.seq <> head.last_seq + 1 THEN
    RAISE EXCEPTION 'kaproom: event % of session % arrived before event %', NEW.seq, NEW.session_uid,
      head.last_seq + 1 USING ERRCODE = 'KR002';
  END IF;
  expected_prev := CASE WHEN head.last_seq = 0 THEN repeat('0', 64) ELSE head.last_hash END;
  IF NEW.prev_hash <> expected_prev THEN
    RAISE EXCEPTION 'kaproom: history differs: event % of session % (room %) does not link to event % the '
      'clinic holds. Refused; nothing was merged.', NEW.seq, NEW.session_uid, me, head.last_seq
      USING ERRCODE = 'KR001';
  END IF;
  IF kaproom.event_hash(NEW.prev_hash, NEW.session_uid, NEW.seq, NEW.kind, NEW.wall_time, NEW.session_time,
                        NEW.author, NEW.phase, NEW.payload) <> NEW.hash THEN
    RAISE EXCEPTION 'kaproom: event % of session % (room %): its content does not match its hash (the ''%'' '
      'event was altered). Refused; nothing was merged.', NEW.seq, NEW.session_uid, me, NEW.kind
      USING ERRCODE = 'KR001';
  END IF;
  NEW.received_at := now();

  -- The index, as kaproom.store.Store._update_index keeps it, and what the board shows.
  UPDATE kaproom.sessions SET last_seq = NEW.seq, last_hash = NEW.hash, last_wall_time = NEW.wall_time,
         last_session_time = NEW.session_time, received_at = now()
   WHERE uid = NEW.session_uid;
  IF NEW.kind IN ('session_started', 'phase_changed', 'session_ended', 'alert', 'music', 'amendment',
                  'signoff', 'dose', 'vitals') THEN
    body := NEW.payload::jsonb;
    IF NEW.kind = 'session_started' THEN
      UPDATE kaproom.sessions SET state = 'running', started_at = NEW.wall_time WHERE uid = NEW.session_uid;
    ELSIF NEW.kind = 'phase_changed' THEN
      UPDATE kaproom.sessions SET current_phase = coalesce(body ->> 'to', ''), phase_since = NEW.wall_time
       WHERE uid = NEW.session_uid;
    ELSIF NEW.kind = 'session_ended' THEN
      UPDATE kaproom.sessions SET state = coalesce(body ->> 'outcome', 'ended_early'), ended_at = NEW.wall_time,
             duration_seconds = NEW.session_time, end_reason = coalesce(body ->> 'reason', '')
       WHERE uid = NEW.session_uid;
    ELSIF NEW.kind = 'alert' THEN
      level := body ->> 'level';
      IF level = 'urgent' THEN
        UPDATE kaproom.sessions SET urgents = urgents + 1 WHERE uid = NEW.session_uid;
      ELSIF level = 'caution' THEN
        UPDATE kaproom.sessions SET cautions = cautions + 1 WHERE uid = NEW.session_uid;
      END IF;
    ELSIF NEW.kind = 'music' AND body ->> 'action' = 'error' THEN
      UPDATE kaproom.sessions SET music_errors = music_errors + 1 WHERE uid = NEW.session_uid;
    ELSIF NEW.kind = 'amendment' THEN
      UPDATE kaproom.sessions SET amendments = amendments + 1,
             amended_after_signoff = amended_after_signoff + (CASE WHEN signed_at IS NULL THEN 0 ELSE 1 END)
       WHERE uid = NEW.session_uid;
    ELSIF NEW.kind = 'signoff' THEN
      UPDATE kaproom.sessions SET signed_at = NEW.wall_time, signed_by = NEW.author WHERE uid = NEW.session_uid;
    ELSIF NEW.kind = 'dose' THEN
      UPDATE kaproom.sessions SET
             dose_time = CASE WHEN jsonb_typeof(body -> 'effective_time') = 'number'
                              THEN (body ->> 'effective_time')::float8 ELSE NEW.session_time END,
             dose_at_session_time = CASE WHEN jsonb_typeof(body -> 'effective_time') = 'number'
                              THEN (body ->> 'effective_time')::float8 ELSE NEW.session_time END
       WHERE uid = NEW.session_uid;
    ELSIF NEW.kind = 'vitals' THEN
      UPDATE kaproom.sessions SET last_vitals = NEW.payload, last_vitals_at = NEW.wall_time,
             last_vitals_session_time = NEW.session_time
       WHERE uid = NEW.session_uid;
    END IF;
  END IF;
  PERFORM pg_notify('kaproom_board', NEW.session_uid);
  RETURN NEW;
END $$;
CREATE TRIGGER events_arrive BEFORE INSERT ON kaproom.events
  FOR EACH ROW EXECUTE FUNCTION kaproom.event_arrives();

-- Office and audit chains: one writer per chain (the computer of the connection), the same checks.
CREATE FUNCTION kaproom.chain_entry_arrives(p_chain text, p_computer text, p_seq integer, p_kind text,
                                            p_wall_time text, p_author text, p_payload text, p_prev_hash text,
                                            p_hash text, p_hash_chain text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
  head record;
  expected_prev text;
BEGIN
  SELECT last_seq, last_hash INTO head FROM kaproom.chain_heads WHERE chain = p_chain FOR UPDATE;
  IF NOT FOUND THEN
    INSERT INTO kaproom.chain_heads (chain, last_seq, last_hash) VALUES (p_chain, 0, '');
    SELECT last_seq, last_hash INTO head FROM kaproom.chain_heads WHERE chain = p_chain FOR UPDATE;
  END IF;
  IF p_seq <= head.last_seq THEN
    IF EXISTS (SELECT FROM kaproom.audit a WHERE p_hash_chain = 'audit' AND a.computer = p_computer
                 AND a.seq = p_seq AND a.hash = p_hash AND a.prev_hash = p_prev_hash AND a.payload = p_payload
                 AND a.kind = p_kind AND a.wall_time = p_wall_time AND a.actor = p_author)
       OR EXISTS (SELECT FROM kaproom.office_events o WHERE p_hash_chain <> 'audit'
                    AND o.computer = p_computer AND o.seq = p_seq AND o.hash = p_hash AND o.prev_hash = p_prev_hash
                    AND o.payload = p_payload AND o.kind = p_kind AND o.wall_time = p_wall_time
                    AND o.author = p_author) THEN
      RETURN false;  -- already here
    END IF;
    RAISE EXCEPTION 'kaproom: history differs: entry % of % is not the entry the clinic holds. Refused; '
      'nothing was merged.', p_seq, p_chain USING ERRCODE = 'KR001';
  END IF;
  IF p_seq <> head.last_seq + 1 THEN
    RAISE EXCEPTION 'kaproom: entry % of % arrived before entry %', p_seq, p_chain, head.last_seq + 1
      USING ERRCODE = 'KR002';
  END IF;
  expected_prev := CASE WHEN head.last_seq = 0 THEN repeat('0', 64) ELSE head.last_hash END;
  IF p_prev_hash <> expected_prev THEN
    RAISE EXCEPTION 'kaproom: history differs: entry % of % does not link to entry % the clinic holds. '
      'Refused; nothing was merged.', p_seq, p_chain, head.last_seq USING ERRCODE = 'KR001';
  END IF;
  IF kaproom.event_hash(p_prev_hash, p_hash_chain, p_seq, p_kind, p_wall_time, 0.0, p_author, '', p_payload)
     <> p_hash THEN
    RAISE EXCEPTION 'kaproom: entry % of %: its content does not match its hash (the ''%'' entry was altered). '
      'Refused; nothing was merged.', p_seq, p_chain, p_kind USING ERRCODE = 'KR001';
  END IF;
  UPDATE kaproom.chain_heads SET last_seq = p_seq, last_hash = p_hash WHERE chain = p_chain;
  RETURN true;
END $$;

CREATE FUNCTION kaproom.audit_arrives() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
  me text := coalesce(kaproom.computer_of('room'), kaproom.computer_of('office'));
BEGIN
  IF me IS NULL THEN
    RAISE EXCEPTION 'kaproom: the database role % has not joined the clinic', session_user
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NEW.computer IS DISTINCT FROM me THEN
    RAISE EXCEPTION 'kaproom: % may not add to the audit log of %', me, NEW.computer
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NOT kaproom.chain_entry_arrives('audit:' || me, me, NEW.seq, NEW.kind, NEW.wall_time, NEW.actor,
                                     NEW.payload, NEW.prev_hash, NEW.hash, 'audit') THEN
    RETURN NULL;
  END IF;
  NEW.received_at := now();
  RETURN NEW;
END $$;
CREATE TRIGGER audit_arrive BEFORE INSERT ON kaproom.audit
  FOR EACH ROW EXECUTE FUNCTION kaproom.audit_arrives();

CREATE FUNCTION kaproom.office_event_arrives() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
  me text := kaproom.computer_of('office');
BEGIN
  IF me IS NULL THEN
    RAISE EXCEPTION 'kaproom: the database role % has not joined as an office computer', session_user
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NEW.computer IS DISTINCT FROM me THEN
    RAISE EXCEPTION 'kaproom: % may not add to the chain of %', me, NEW.computer
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NOT kaproom.chain_entry_arrives('office:' || me, me, NEW.seq, NEW.kind, NEW.wall_time, NEW.author,
                                     NEW.payload, NEW.prev_hash, NEW.hash, 'office:' || me) THEN
    RETURN NULL;
  END IF;
  NEW.session_uid := NEW.payload::jsonb ->> 'session_uid';
  NEW.received_at := now();
  IF NEW.kind = 'signoff' THEN
    UPDATE kaproom.sessions SET signed_at = coalesce(signed_at, NEW.wall_time),
           signed_by = coalesce(signed_by, NEW.author) WHERE uid = NEW.session_uid;
  END IF;
  PERFORM pg_notify('kaproom_board', coalesce(NEW.session_uid, ''));
  RETURN NEW;
END $$;
CREATE TRIGGER office_event_arrive BEFORE INSERT ON kaproom.office_events
  FOR EACH ROW EXECUTE FUNCTION kaproom.office_event_arrives();
"""

_GRANTS = f"""
REVOKE ALL ON SCHEMA kaproom FROM PUBLIC;
GRANT USAGE ON SCHEMA kaproom TO {ROOM_GROUP}, {OFFICE_GROUP};
GRANT SELECT ON ALL TABLES IN SCHEMA kaproom TO {ROOM_GROUP}, {OFFICE_GROUP};
GRANT INSERT ON kaproom.computers, kaproom.events, kaproom.audit TO {ROOM_GROUP};
GRANT INSERT ON kaproom.computers, kaproom.office_events, kaproom.audit TO {OFFICE_GROUP};
GRANT INSERT, UPDATE ON kaproom.staff TO {OFFICE_GROUP};
GRANT USAGE ON ALL SEQUENCES IN SCHEMA kaproom TO {ROOM_GROUP}, {OFFICE_GROUP};
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA kaproom FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kaproom.event_hash(text, text, integer, text, text, double precision, text, text, text),
  kaproom.py_float(double precision) TO {ROOM_GROUP}, {OFFICE_GROUP};
"""

# What the room calls its session, which the events do not say: its number there and where the
# room got it from (its own, or imported from another computer). The room names each session it
# sent, once; a report made from the server's copy then reads exactly as the room's own.
_SESSION_NAMES = f"""
ALTER TABLE kaproom.sessions ADD COLUMN number_in_room integer, ADD COLUMN origin_in_room text;
CREATE INDEX sessions_uid_prefix ON kaproom.sessions (uid text_pattern_ops);

CREATE FUNCTION kaproom.name_session(p_uid text, p_number integer, p_origin text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
  me text := kaproom.computer_of('room');
BEGIN
  IF me IS NULL THEN
    RAISE EXCEPTION 'kaproom: the database role % has not joined as a room', session_user
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  UPDATE kaproom.sessions SET number_in_room = p_number, origin_in_room = p_origin
   WHERE uid = p_uid AND room = me AND number_in_room IS NULL;
  RETURN FOUND;
END $$;
REVOKE ALL ON FUNCTION kaproom.name_session(text, integer, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION kaproom.name_session(text, integer, text) TO {ROOM_GROUP};
"""

# Each computer's stock register (kaproom.store.register): a copy of its chain, one writer (the computer
# of the connection), checked on arrival like the audit log (chain name 'register' in the hash, the
# chain's head in chain_heads as 'register:' || computer). The lot column is checked against the hashed
# line, as the room's verify checks its own.
_REGISTER_COPIES = f"""
CREATE TABLE kaproom.register_events (
  id bigserial UNIQUE,
  computer text NOT NULL REFERENCES kaproom.computers(name),
  seq integer NOT NULL CHECK (seq >= 1),
  wall_time text NOT NULL,
  actor text NOT NULL,
  kind text NOT NULL,
  lot text NOT NULL,
  payload text NOT NULL,
  prev_hash text NOT NULL,
  hash text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (computer, seq)
);
CREATE INDEX register_events_lot ON kaproom.register_events (computer, lot, seq);
CREATE INDEX register_events_time ON kaproom.register_events (wall_time);

CREATE TRIGGER register_events_append_only BEFORE UPDATE OR DELETE ON kaproom.register_events
  FOR EACH ROW EXECUTE FUNCTION kaproom.refuse_change();
CREATE TRIGGER register_events_no_truncate BEFORE TRUNCATE ON kaproom.register_events
  FOR EACH STATEMENT EXECUTE FUNCTION kaproom.refuse_change();

CREATE FUNCTION kaproom.register_event_arrives() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
  me text := coalesce(kaproom.computer_of('room'), kaproom.computer_of('office'));
  my_chain text;
  head record;
  expected_prev text;
BEGIN
  IF me IS NULL THEN
    RAISE EXCEPTION 'kaproom: the database role % has not joined the clinic', session_user
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NEW.computer IS DISTINCT FROM me THEN
    RAISE EXCEPTION 'kaproom: % may not add to the stock register of %', me, NEW.computer
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  my_chain := 'register:' || me;
  SELECT last_seq, last_hash INTO head FROM kaproom.chain_heads WHERE chain = my_chain FOR UPDATE;
  IF NOT FOUND THEN
    INSERT INTO kaproom.chain_heads (chain, last_seq, last_hash) VALUES (my_chain, 0, '');
    SELECT last_seq, last_hash INTO head FROM kaproom.chain_heads WHERE chain = my_chain FOR UPDATE;
  END IF;
  IF NEW.seq <= head.last_seq THEN
    IF EXISTS (SELECT FROM kaproom.register_events r WHERE r.computer = me AND r.seq = NEW.seq
                 AND r.hash = NEW.hash AND r.prev_hash = NEW.prev_hash AND r.payload = NEW.payload
                 AND r.kind = NEW.kind AND r.wall_time = NEW.wall_time AND r.actor = NEW.actor
                 AND r.lot = NEW.lot) THEN
      RETURN NULL;  -- the server already has this very line: sending it twice changes nothing
    END IF;
    RAISE EXCEPTION 'kaproom: history differs: line % of the stock register of % is not the line the clinic '
      'holds. Refused; nothing was merged.', NEW.seq, me USING ERRCODE = 'KR001';
  END IF;
  IF NEW.seq <> head.last_seq + 1 THEN
    RAISE EXCEPTION 'kaproom: line % of the stock register of % arrived before line %', NEW.seq, me,
      head.last_seq + 1 USING ERRCODE = 'KR002';
  END IF;
  expected_prev := CASE WHEN head.last_seq = 0 THEN repeat('0', 64) ELSE head.last_hash END;
  IF NEW.prev_hash <> expected_prev THEN
    RAISE EXCEPTION 'kaproom: history differs: line % of the stock register of % does not link to line % the '
      'clinic holds. Refused; nothing was merged.', NEW.seq, me, head.last_seq USING ERRCODE = 'KR001';
  END IF;
  IF kaproom.event_hash(NEW.prev_hash, 'register', NEW.seq, NEW.kind, NEW.wall_time, 0.0, NEW.actor, '',
                        NEW.payload) <> NEW.hash THEN
    RAISE EXCEPTION 'kaproom: line % of the stock register of %: its content does not match its hash (the ''%'' '
      'line was altered). Refused; nothing was merged.', NEW.seq, me, NEW.kind USING ERRCODE = 'KR001';
  END IF;
  -- Only now is the payload known to be the text the room hashed (JSON, as KAP Room writes it).
  IF NEW.lot IS DISTINCT FROM coalesce(NEW.payload::jsonb ->> 'lot', '') THEN
    RAISE EXCEPTION 'kaproom: line % of the stock register of %: its lot column (%) is not the lot of its hashed '
      'line. Refused; nothing was merged.', NEW.seq, me, NEW.lot USING ERRCODE = 'KR001';
  END IF;
  UPDATE kaproom.chain_heads SET last_seq = NEW.seq, last_hash = NEW.hash
   WHERE chain = my_chain;
  NEW.received_at := now();
  RETURN NEW;
END $$;
CREATE TRIGGER register_event_arrive BEFORE INSERT ON kaproom.register_events
  FOR EACH ROW EXECUTE FUNCTION kaproom.register_event_arrives();
REVOKE ALL ON FUNCTION kaproom.register_event_arrives() FROM PUBLIC;

GRANT SELECT ON kaproom.register_events TO {ROOM_GROUP}, {OFFICE_GROUP};
GRANT INSERT ON kaproom.register_events TO {ROOM_GROUP}, {OFFICE_GROUP};
GRANT USAGE ON SEQUENCE kaproom.register_events_id_seq TO {ROOM_GROUP}, {OFFICE_GROUP};
"""

# Clinic-wide accounts (kaproom.services.clinic_sync.publish_accounts / receive_accounts): each change an
# admin makes at an office computer with --clinic is made there (its users table and audit chain) and
# published here as a new version of the account, never an update. The secret's salted scrypt hash
# travels here (it is what lets a room check a PIN offline) and in no audit entry. A version is
# accepted only from an office computer, for its own audit entry, which must already be on the server
# and record the same account: the same name, role and state, and the fingerprint of this hash.
_ACCOUNT_VERSIONS = f"""
CREATE TABLE kaproom.account_versions (
  id bigserial PRIMARY KEY,
  name text NOT NULL CHECK (name <> '' AND length(name) <= 100),
  role text NOT NULL CHECK (role IN ('therapist', 'supervisor', 'admin')),
  active boolean NOT NULL,
  secret_hash text NOT NULL CHECK (secret_hash LIKE '$scrypt$%'),
  secret_kind text NOT NULL CHECK (secret_kind IN ('pin', 'passphrase')),
  computer text NOT NULL REFERENCES kaproom.computers(name),
  audit_seq integer NOT NULL CHECK (audit_seq >= 1),
  audit_hash text NOT NULL,
  wall_time text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (computer, audit_seq)
);
CREATE INDEX account_versions_name ON kaproom.account_versions (name, id);

CREATE TRIGGER account_versions_append_only BEFORE UPDATE OR DELETE ON kaproom.account_versions
  FOR EACH ROW EXECUTE FUNCTION kaproom.refuse_change();
CREATE TRIGGER account_versions_no_truncate BEFORE TRUNCATE ON kaproom.account_versions
  FOR EACH STATEMENT EXECUTE FUNCTION kaproom.refuse_change();

CREATE FUNCTION kaproom.account_version_arrives() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
  me text := kaproom.computer_of('office');
  entry record;
  body jsonb;
BEGIN
  IF me IS NULL THEN
    RAISE EXCEPTION 'kaproom: the database role % has not joined as an office computer: only office computers '
      'publish clinic accounts', session_user USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NEW.computer IS DISTINCT FROM me THEN
    RAISE EXCEPTION 'kaproom: % may not publish accounts in the name of %', me, NEW.computer
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  SELECT kind, actor, payload, hash INTO entry FROM kaproom.audit WHERE computer = me AND seq = NEW.audit_seq;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'kaproom: the account % from % names audit entry %, which is not on the clinic server yet '
      '(send the audit log first)', NEW.name, me, NEW.audit_seq USING ERRCODE = 'KR002';
  END IF;
  body := entry.payload::jsonb;
  IF entry.hash <> NEW.audit_hash
     OR entry.kind NOT IN ('user_added', 'user_disabled', 'user_enabled', 'user_secret_reset', 'user_role_changed',
                           'user_unlocked', 'user_secret_changed')
     OR body ->> 'user' IS DISTINCT FROM NEW.name OR body ->> 'role' IS DISTINCT FROM NEW.role
     OR (body ->> 'active')::boolean IS DISTINCT FROM NEW.active
     OR body ->> 'secret_fingerprint' IS DISTINCT FROM
        left(encode(sha256(convert_to(NEW.secret_hash, 'UTF8')), 'hex'), 16) THEN
    RAISE EXCEPTION 'kaproom: the account % from % does not match audit entry % of % on the clinic server. '
      'Refused; nothing was published.', NEW.name, me, NEW.audit_seq, me USING ERRCODE = 'KR001';
  END IF;
  NEW.received_at := now();
  RETURN NEW;
END $$;
CREATE TRIGGER account_version_arrive BEFORE INSERT ON kaproom.account_versions
  FOR EACH ROW EXECUTE FUNCTION kaproom.account_version_arrives();
REVOKE ALL ON FUNCTION kaproom.account_version_arrives() FROM PUBLIC;

GRANT SELECT ON kaproom.account_versions TO {ROOM_GROUP}, {OFFICE_GROUP};
GRANT INSERT ON kaproom.account_versions TO {OFFICE_GROUP};
GRANT USAGE ON SEQUENCE kaproom.account_versions_id_seq TO {OFFICE_GROUP};
"""

# The review list's default order, newest first, as the office's list asks for it (services.clinic_review:
# ``DESC NULLS LAST``, which sessions_started, NULLS FIRST, cannot give): without it every page sorted every
# session (bench/bench_clinic.py). Scanned backwards, sessions_started serves the oldest-first order.
_LIST_ORDER = """
CREATE INDEX sessions_listed ON kaproom.sessions ((COALESCE(started_at, created_at)) DESC NULLS LAST, id DESC);
"""

# The early, unused, mutable accounts table of migration 0001 (office roles could update it): gone, so
# that every table a room or an office reaches is one they may only add to and read.
_DROP_STAFF = """
DROP TABLE IF EXISTS kaproom.staff;
"""

#: (name, SQL), in order. The number of a migration is its place in this list, from 1.
MIGRATIONS: list[tuple[str, str]] = [
    ("0001_chains_and_roles", _ROLES + _HASH + _TABLES + _TRIGGERS + _GRANTS),
    ("0002_session_names", _SESSION_NAMES),
    ("0003_register_copies", _REGISTER_COPIES),
    ("0004_account_versions", _ACCOUNT_VERSIONS),
    ("0005_review_list_order", _LIST_ORDER),
    ("0006_no_mutable_staff_table", _DROP_STAFF),
]
SCHEMA_VERSION = len(MIGRATIONS)
