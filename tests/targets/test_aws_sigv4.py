"""The init phase's signed SSM call: SigV4 equal to botocore's signer; endpoints and errors as botocore reads them."""

from __future__ import annotations

import json

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import given
from hypothesis import strategies as st

from providers.aws.json_api import credentials_of, endpoint_of, refusal
from providers.aws.sigv4 import AwsCredentials, sign

keys = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=16, max_size=20)
secrets = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/", min_size=20, max_size=40)
hosts = st.sampled_from(["https://ssm.eu-west-1.amazonaws.com/", "http://127.0.0.1:5000/",
                         "https://ssm.cn-north-1.amazonaws.com.cn/", "https://example.test:443/"])


@given(url=hosts, body=st.binary(max_size=200), key=keys, secret=secrets, token=st.sampled_from(["", "FQoGZXIvYXdz"]),
       region=st.sampled_from(["us-east-1", "eu-west-1", "cn-north-1"]),
       target=st.sampled_from(["AmazonSSM.GetParametersByPath", "AmazonSSM.GetParameter"]))
def test_the_signature_is_the_one_botocore_computes(url, body, key, secret, token, region, target) -> None:
    headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target}
    request = AWSRequest(method="POST", url=url, data=body, headers=dict(headers))
    SigV4Auth(Credentials(key, secret, token or None), "ssm", region).add_auth(request)
    ours = sign(url, body, headers, AwsCredentials(key, secret, token), region=region, service="ssm",
                amz_date=request.headers["X-Amz-Date"])
    assert ours["Authorization"] == request.headers["Authorization"]
    assert ours.get("X-Amz-Security-Token") == request.headers.get("X-Amz-Security-Token")


def test_the_credentials_repr_hides_the_secret_and_the_token() -> None:
    shown = repr(AwsCredentials("AKIAEXAMPLE", "very-secret", "session-token"))
    assert "very-secret" not in shown and "session-token" not in shown and "AKIAEXAMPLE" in shown


def test_the_endpoint_is_the_regions_unless_overridden_as_botocore_would() -> None:
    assert endpoint_of("ssm", {}, "eu-west-1") == "https://ssm.eu-west-1.amazonaws.com/"
    assert endpoint_of("dynamodb", {}, "cn-north-1") == "https://dynamodb.cn-north-1.amazonaws.com.cn/"
    assert endpoint_of("ssm", {"AWS_ENDPOINT_URL": "http://127.0.0.1:9"}, "eu-west-1") == "http://127.0.0.1:9/"
    both = {"AWS_ENDPOINT_URL": "http://a:1", "AWS_ENDPOINT_URL_SSM": "http://b:2/"}
    assert endpoint_of("ssm", both, "x") == "http://b:2/" and endpoint_of("dynamodb", both, "x") == "http://a:1/"


def test_the_roles_credentials_come_from_the_environment_lambda_sets() -> None:
    env = {"AWS_ACCESS_KEY_ID": "ASIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": "s", "AWS_SESSION_TOKEN": "t"}
    assert credentials_of(env) == AwsCredentials("ASIAEXAMPLE", "s", "t")


def test_ssms_json_error_the_header_and_the_xml_error_response_all_name_the_code() -> None:
    # SSM's JSON protocol error (the shape botocore's JSON parser reads).
    json_error = refusal(400, json.dumps({
        "__type": "com.amazon.coral.service#AccessDeniedException", "message": "not authorized"}).encode())
    assert (json_error.code, json_error.message) == ("AccessDeniedException", "not authorized")
    header = refusal(400, b"", "ThrottlingException:http://internal/")
    assert header.code == "ThrottlingException"
    xml = refusal(403, b'<?xml version="1.0"?><ErrorResponse><Errors><Error><Code>AccessDenied</Code>'
                       b"<Message>denied</Message></Error></Errors></ErrorResponse>")
    assert (xml.code, xml.message) == ("AccessDenied", "denied")
    assert refusal(502, b"<html>gateway</html").code == "HTTP 502"


function_names = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_", min_size=1,
                         max_size=64)


@given(name=function_names,
       qualifier=st.sampled_from(["", "7", "live_alias-2"]), body=st.binary(max_size=200), key=keys, secret=secrets,
       token=st.sampled_from(["", "FQoGZXIvYXdz"]), region=st.sampled_from(["us-east-1", "eu-west-1", "cn-north-1"]))
def test_lambdas_invoke_with_a_path_and_a_query_is_signed_as_botocore_signs_it(
        name, qualifier, body, key, secret, token, region) -> None:
    # As botocore sends it: the query as the request's params, which its signer encodes and sorts.
    url = f"https://lambda.{region}.amazonaws.com/2015-03-31/functions/{name}/invocations"
    headers = {"Content-Type": "application/json", "X-Amz-Invocation-Type": "Event"}
    request = AWSRequest(method="POST", url=url, data=body, headers=dict(headers),
                         params={"Qualifier": qualifier} if qualifier else {})
    SigV4Auth(Credentials(key, secret, token or None), "lambda", region).add_auth(request)
    ours = sign(url + (f"?Qualifier={qualifier}" if qualifier else ""), body, headers,
                AwsCredentials(key, secret, token), region=region, service="lambda",
                amz_date=request.headers["X-Amz-Date"])
    assert ours["Authorization"] == request.headers["Authorization"]


def test_a_query_is_canonical_sorted_and_encoded_and_a_path_encoded_again() -> None:
    # botocore's signer given the same URL (query in it, as sent): path quoted once more, pairs sorted.
    url = "https://lambda.us-east-1.amazonaws.com/2015-03-31/functions/arn%3Aaws%3Af/invocations?b=2&a=x%20y&a=1"
    request = AWSRequest(method="POST", url=url, data=b"{}", headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials("AKIDEXAMPLE", "secret"), "lambda", "us-east-1").add_auth(request)
    ours = sign(url, b"{}", {"Content-Type": "application/json"}, AwsCredentials("AKIDEXAMPLE", "secret"),
                region="us-east-1", service="lambda", amz_date=request.headers["X-Amz-Date"])
    assert ours["Authorization"] == request.headers["Authorization"]
