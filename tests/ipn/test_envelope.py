"""Reading untrusted SNS envelopes and IPN messages: every refusal names what was wrong."""

import json

import pytest

from adapters.ipn import BadEnvelope, parse_envelope, parse_notification, string_to_sign

ENVELOPE = {
    "Type": "Notification",
    "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
    "TopicArn": "arn:aws:sns:eu-west-1:000000000000:A1TESTMERCHANT",
    "Subject": "My First Message",
    "Message": "Hello world!",
    "Timestamp": "2012-05-02T00:54:06.655Z",
    "SignatureVersion": "1",
    "Signature": "c2ln",
    "SigningCertURL": "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-f3ec.pem",
    "UnsubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe",
}


def body(**changes: object) -> bytes:
    data = {**ENVELOPE, **changes}
    return json.dumps({k: v for k, v in data.items() if v is not ...}).encode()


def test_notification_string_to_sign_follows_sns_order_and_skips_unsigned_keys():
    fields = dict(ENVELOPE, Token="not-signed-in-a-notification", SubscribeURL="https://x")
    assert string_to_sign(fields) == (
        "Message\nHello world!\n"
        "MessageId\n22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324\n"
        "Subject\nMy First Message\n"
        "Timestamp\n2012-05-02T00:54:06.655Z\n"
        "TopicArn\narn:aws:sns:eu-west-1:000000000000:A1TESTMERCHANT\n"
        "Type\nNotification\n"
    )


def test_subscription_string_to_sign_includes_subscribe_url_and_token():
    fields = {
        "Type": "SubscriptionConfirmation",
        "MessageId": "m1",
        "Token": "t0k",
        "TopicArn": "arn:t",
        "Message": "confirm",
        "SubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription",
        "Timestamp": "2012-05-02T00:54:06.655Z",
        "Signature": "ignored",
    }
    assert string_to_sign(fields) == (
        "Message\nconfirm\nMessageId\nm1\n"
        "SubscribeURL\nhttps://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription\n"
        "Timestamp\n2012-05-02T00:54:06.655Z\nToken\nt0k\nTopicArn\narn:t\n"
        "Type\nSubscriptionConfirmation\n"
    )


def test_a_complete_envelope_is_read_with_its_fields():
    envelope = parse_envelope(body())
    assert envelope.type == "Notification"
    assert envelope.message_id == ENVELOPE["MessageId"]
    assert envelope.cert_url == ENVELOPE["SigningCertURL"]


def test_lambda_style_cert_url_spelling_and_null_subject_are_accepted():
    raw = body(SigningCertURL=..., SigningCertUrl=ENVELOPE["SigningCertURL"], Subject=None)
    envelope = parse_envelope(raw)
    assert envelope.cert_url == ENVELOPE["SigningCertURL"]
    assert "Subject" not in envelope.fields


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"{not json", "body is not JSON"),
        (b"\xff\xfe\x00garbage", "body is not JSON"),
        (b"[1, 2]", "body is not a JSON object"),
        (body(Type="Spam"), "Type must be one of Notification, SubscriptionConfirmation"),
        (body(Message=..., Signature=...), "Notification lacks field(s): Message, Signature"),
        (body(MessageId=17), "field 'MessageId' must be a string"),
        (body(MessageId="x" * 101), "MessageId is longer than 100 characters"),
        (
            body(Type="SubscriptionConfirmation"),
            "SubscriptionConfirmation lacks field(s): SubscribeURL, Token",
        ),
    ],
)
def test_unreadable_envelopes_are_refused_with_one_clear_line(raw, expected):
    with pytest.raises(BadEnvelope) as refused:
        parse_envelope(raw)
    assert expected in str(refused.value)
    assert "\n" not in str(refused.value)
    assert refused.value.status == 400


def test_ipn_keys_are_read_whatever_their_case():
    message = json.dumps(
        {
            "merchantID": "A1",
            "objectType": "REFUND",
            "objectId": "S02-1-1-R001",
            "chargePermissionId": "S02-1-1",
            "notificationType": "STATE_CHANGE",
            "notificationId": "n1",
        }
    )
    notification, stored = parse_notification("mid", message)
    assert (notification.object_type, notification.object_id) == ("REFUND", "S02-1-1-R001")
    assert notification.charge_permission_id == "S02-1-1"
    assert notification.notification_type == "STATE_CHANGE"
    assert (notification.notification_id, notification.merchant_id) == ("n1", "A1")
    assert notification.message_id == "mid"
    assert stored["objectId"] == "S02-1-1-R001"


def test_a_charge_permission_ipn_needs_no_optional_fields():
    message = '{"ObjectType": "CHARGE_PERMISSION", "ObjectId": "P1"}'
    notification, _ = parse_notification("m", message)
    assert notification.charge_permission_id is None
    assert notification.notification_type is None


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("<NotificationData/>", "IPN Message is not JSON"),
        ('"just a string"', "IPN Message is not a JSON object"),
        ('{"ObjectType": "CHARGE"}', "IPN Message lacks ObjectId"),
        ('{"ObjectType": "CHARGE", "ObjectId": 5}', "field ObjectId must be a string"),
        ('{"ObjectType": "C", "ObjectId": "a", "objectid": "b"}', "has key 'objectid' twice"),
        ('{"ObjectType": "C", "ObjectId": "' + "9" * 65 + '"}', "longer than 64 characters"),
    ],
)
def test_unreadable_ipn_messages_are_refused_with_one_clear_line(message, expected):
    with pytest.raises(BadEnvelope) as refused:
        parse_notification("m", message)
    assert expected in str(refused.value)
