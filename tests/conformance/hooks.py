"""Schemathesis hooks: reach the operations that need a real id, code or revision.

Schemathesis makes path parameters up, so on its own every by-id operation (and Create Referred
Friend, which needs a real referring customer) is answered 404 or 428 and its success path is never
checked against the spec. These hooks read the seeded site once, then:

- draw path parameters from the real ids as well as the made-up ones (reads, updates and deletes
  draw from different thirds of the pool, so a delete never empties what a read needs);
- put the entity's current revision on updates and deletes of a stored id, drawn or passed on by a
  link, read just before the call (and, on a friend's update, its id, contact and referring
  customer, which must be the stored ones);
- never let a delete remove an id a read or update draws: a linked delete (Update Referred Friend
  links to Delete Referred Friend with the id it just updated) of such an id deletes an entity
  made for it instead, so the unlinked tests that run later still meet stored entities;
- offer Generate Referring Customer a new contact's GUID;
- offer Create Referred Friend a body naming a real referring customer and a new contact, with the
  program made active first (the program tests before it pause it).

Loaded by tests/conformance/schemathesis.sh through SCHEMATHESIS_HOOKS; it reads the emulator's
address and credentials from ST_BASE_URL, ST_AUTHORIZATION and ST_SITE_ID.
"""

import atexit
import collections
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
import uuid

import schemathesis
from hypothesis import strategies as st

BASE_URL = os.environ["ST_BASE_URL"].rstrip("/")
HEADERS = {
    "Authorization": os.environ["ST_AUTHORIZATION"],
    "wix-site-id": os.environ["ST_SITE_ID"],
    "Content-Type": "application/json",
}

CUSTOMERS = "/referral-customers/v1/referring-customers"
FRIENDS = "/referral_friends/v1/referred-friends"
PROGRAM = "/_api/referral-programs/v1/program"


def call(method, path, body=None):
    """One request to the emulator; returns (status, decoded JSON or None)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(BASE_URL + path, data=data, method=method, headers=HEADERS)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, None


def query(path, key, limit=100):
    status, body = call("POST", path, {"query": {"cursorPaging": {"limit": limit}}})
    if status != 200 or not body or not body.get(key):
        raise SystemExit(f"conformance hooks: {path} gave {status}; is the emulator seeded?")
    return body[key]


def thirds(values):
    third = max(1, len(values) // 3)
    return values[:third], values[third : 2 * third], values[2 * third :]


customers = query(CUSTOMERS + "/query", "referringCustomers")
friends = query(FRIENDS + "/query", "referredFriends")
rewards = query("/_api/referral-rewards/v1/referral-rewards/query", "referralRewards")
events = query("/_api/referral-tracker/v1/referral-events/query", "referralEvents")

customers_read, customers_code, customers_delete = thirds([c["id"] for c in customers])
friends_read, friends_update, friends_delete = thirds([f["id"] for f in friends])

# operationId -> (path parameter, the real values it may take)
REAL_PATH_VALUES = {
    "getReferringCustomer": ("referringCustomerId", customers_read),
    "deleteReferringCustomer": ("referringCustomerId", customers_delete),
    "getReferringCustomerByReferralCode": (
        "referralCode",
        [c["referralCode"] for c in customers if c["id"] in customers_code],
    ),
    "getReferredFriend": ("referredFriendId", friends_read),
    "updateReferredFriend": ("referredFriendId", friends_update),
    "deleteReferredFriend": ("referredFriendId", friends_delete),
    "getReferredFriendByContactId": (
        "contactId",
        [f["contactId"] for f in friends if f["id"] in friends_read],
    ),
    "getReferralReward": ("id", [r["id"] for r in rewards]),
    "getReferralEvent": ("referralEventId", [e["id"] for e in events]),
}

# operationId -> path that reads the entity, and the key its revision is under
CURRENT_REVISION = {
    "deleteReferringCustomer": (CUSTOMERS + "/{}", "referringCustomer"),
    "updateReferredFriend": (FRIENDS + "/{}", "referredFriend"),
    "deleteReferredFriend": (FRIENDS + "/{}", "referredFriend"),
}


def operation_id(context):
    return context.operation.definition.raw.get("operationId")


def follows_a_link(context):
    """Whether this is a linked test: its parameters are the values an earlier answer gave."""
    return any("enum" in parameter.definition.get("schema", parameter.definition)
               for parameter in context.operation.path_parameters)


@schemathesis.hook
def flatmap_path_parameters(context, path_parameters):
    real = REAL_PATH_VALUES.get(operation_id(context))
    # A linked test keeps to its chain: drawing from the pools there would delete ids that a
    # later operation's own test needs.
    if real is None or follows_a_link(context):
        return st.just(path_parameters)
    name, values = real
    return st.one_of(
        st.just(path_parameters),
        st.sampled_from(values).map(lambda value: {**path_parameters, name: value}),
    )


@schemathesis.hook
def flatmap_body(context, body):
    operation = operation_id(context)
    if operation == "generateReferringCustomerForContact":
        # Made-up contact ids are rarely GUIDs; a new GUID enrols a new contact.
        new_contact = st.uuids(version=4).map(lambda contact: {"contactId": str(contact)})
        return st.one_of(st.just(body), new_contact)
    if operation != "createReferredFriend":
        return st.just(body)
    admin_shape = st.builds(
        lambda contact, customer: {
            "referredFriend": {"contactId": str(contact), "referringCustomerId": customer}
        },
        st.uuids(version=4),
        # Customers only ever read: the delete tests (and the links ending in a delete) leave them.
        st.sampled_from(customers_read),
    )
    return st.one_of(st.just(body), admin_shape)


# operationId of a delete -> the ids other tests draw, which it must leave in place
PROTECTED = {
    "deleteReferringCustomer": set(customers_read) | set(customers_code),
    "deleteReferredFriend": set(friends_read) | set(friends_update),
}


def stand_in(operation):
    """A new entity for a delete to remove in place of a protected one: its id, or None."""
    status, body = call("POST", CUSTOMERS, {"contactId": new_contact()})
    if status != 200:
        return None
    customer = body["referringCustomer"]
    if operation == "deleteReferringCustomer":
        return customer["id"]
    call("PATCH", PROGRAM + "/activate", {})
    status, body = call(
        "POST",
        FRIENDS,
        {"referredFriend": {"contactId": new_contact(), "referringCustomerId": customer["id"]}},
    )
    return body["referredFriend"]["id"] if status == 200 else None


def new_contact():
    return str(uuid.uuid4())


@schemathesis.hook
def before_call(context, case):
    operation = operation_id(context)
    if operation in PROTECTED:
        name, _ = REAL_PATH_VALUES[operation]
        if (case.path_parameters or {}).get(name) in PROTECTED[operation]:
            replacement = stand_in(operation)
            if replacement is not None:
                case.path_parameters = {**case.path_parameters, name: replacement}
                REAL_PATH_VALUES[operation][1].append(replacement)
    if operation in CURRENT_REVISION:
        name, _ = REAL_PATH_VALUES[operation]
        entity_id = (case.path_parameters or {}).get(name)
        # A drawn id or one a link passed on (Create Referred Friend → Update Referred Friend):
        # whatever is stored under it decides.
        if not isinstance(entity_id, str) or not entity_id.isascii() or "/" in entity_id:
            return
        path, key = CURRENT_REVISION[operation]
        status, body = call("GET", path.format(urllib.parse.quote(entity_id)))
        if status != 200:
            return  # made up, or deleted earlier in the run: the case meets a 404
        stored = body[key]
        if operation.startswith("delete"):
            case.query = {**(case.query or {}), "revision": stored["revision"]}
        elif isinstance(case.body, dict) and isinstance(case.body.get(key), dict):
            # The spec cannot say that the body's id must equal the path's, nor that the friend's
            # two ids must be the stored ones (docs/decisions.md item 9), nor which revision is
            # current.
            for field in ("id", "revision", "contactId", "referringCustomerId"):
                if field in stored:
                    case.body[key][field] = stored[field]
    elif operation == "updateReferralProgram":
        if isinstance(case.body, dict) and isinstance(case.body.get("referralProgram"), dict):
            status, body = call("GET", PROGRAM)
            if status == 200:
                case.body["referralProgram"]["revision"] = body["referralProgram"]["revision"]
    elif operation == "createReferredFriend":
        call("PATCH", PROGRAM + "/activate", {})


# operationId -> Counter of response statuses, printed when schemathesis exits, so a run shows how
# many cases of each operation got past the 4xx.
STATUSES = collections.defaultdict(collections.Counter)


@schemathesis.hook
def after_call(context, case, response):
    STATUSES[operation_id(context)][response.status_code] += 1


@atexit.register
def print_statuses():
    print("\nresponses per operation (status: count):", file=sys.stderr)
    for operation in sorted(STATUSES):
        counts = ", ".join(f"{code}: {n}" for code, n in sorted(STATUSES[operation].items()))
        print(f"  {operation:38} {counts}", file=sys.stderr)
