"""The one CSV writer of the downloads: UTF-8 without a BOM, CRLF rows, quoting by the
csv module."""

from __future__ import annotations

from decimal import Decimal

from staywell.csv import csv_bytes, csv_response, csv_text


def test_header_then_rows_each_ended_by_crlf():
    text = csv_text(["employee", "amount"], [["Able, Ann", Decimal("133.93")], ["Bo", 5]])
    assert text == 'employee,amount\r\n"Able, Ann",133.93\r\nBo,5\r\n'


def test_a_header_alone_is_one_line():
    assert csv_text(("a", "b")) == "a,b\r\n"


def test_bytes_are_utf8_without_a_byte_order_mark():
    content = csv_bytes(["name"], [["Núñez"]])
    assert content == "name\r\nNúñez\r\n".encode()
    assert not content.startswith(b"\xef\xbb\xbf")


def test_the_response_is_a_named_download(settings):
    response = csv_response("payment-run-7.csv", ["claim_id"], iter([[1], [2]]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="payment-run-7.csv"'
    assert response.content == b"claim_id\r\n1\r\n2\r\n"
