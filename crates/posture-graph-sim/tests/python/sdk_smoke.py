"""Lists users, groups and Conditional Access policies with the official Microsoft Graph SDK
(msgraph-sdk + azure-identity ClientSecretCredential) against the simulator, unmodified.

Microsoft host names are resolved to the simulator by patching socket.getaddrinfo; TLS trust
comes from SSL_CERT_FILE / REQUESTS_CA_BUNDLE (the test's CA). Prints one JSON line with counts.
Environment: SIM_PORT, TENANT_ID, CLIENT_ID, CLIENT_SECRET.
"""
import asyncio
import json
import os
import socket
import ssl

PORT = int(os.environ["SIM_PORT"])
MICROSOFT_HOSTS = {"login.microsoftonline.com", "graph.microsoft.com"}
_real_getaddrinfo = socket.getaddrinfo


def _getaddrinfo(host, port, *args, **kwargs):
    if isinstance(host, bytes):
        host = host.decode()
    if host in MICROSOFT_HOSTS:
        return _real_getaddrinfo("127.0.0.1", PORT, *args, **kwargs)
    return _real_getaddrinfo(host, port, *args, **kwargs)


socket.getaddrinfo = _getaddrinfo

# Some stacks (anyio, used by httpx) keep only the address from getaddrinfo and connect to
# the URL's port: send HTTPS connections to loopback on to the simulator's port as well.
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _redirect(address):
    if isinstance(address, tuple) and len(address) >= 2 and address[0] == "127.0.0.1" and address[1] == 443:
        return ("127.0.0.1", PORT)
    return address


socket.socket.connect = lambda self, address: _real_connect(self, _redirect(address))
socket.socket.connect_ex = lambda self, address: _real_connect_ex(self, _redirect(address))

# httpx builds its SSL context from certifi unless told otherwise: trust the test CA as well.
_default_context = ssl.create_default_context


def _context_with_test_ca(*args, **kwargs):
    ctx = _default_context(*args, **kwargs)
    ctx.load_verify_locations(cafile=os.environ["SSL_CERT_FILE"])
    return ctx


ssl.create_default_context = _context_with_test_ca

from azure.identity import ClientSecretCredential  # noqa: E402
from msgraph import GraphServiceClient  # noqa: E402
from msgraph.generated.users.users_request_builder import UsersRequestBuilder  # noqa: E402
from kiota_abstractions.base_request_configuration import RequestConfiguration  # noqa: E402


async def main():
    credential = ClientSecretCredential(os.environ["TENANT_ID"], os.environ["CLIENT_ID"], os.environ["CLIENT_SECRET"])
    client = GraphServiceClient(credentials=credential, scopes=["https://graph.microsoft.com/.default"])
    query = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(select=["id", "displayName", "userType"], top=999)
    users_page = await client.users.get(request_configuration=RequestConfiguration(query_parameters=query))
    users = len(users_page.value)
    next_link = users_page.odata_next_link
    pages = 1
    while next_link:
        page = await client.users.with_url(next_link).get()
        users += len(page.value)
        next_link = page.odata_next_link
        pages += 1
    groups_page = await client.groups.get()
    groups = len(groups_page.value)
    next_link = groups_page.odata_next_link
    while next_link:
        page = await client.groups.with_url(next_link).get()
        groups += len(page.value)
        next_link = page.odata_next_link
    policies = await client.identity.conditional_access.policies.get()
    states = sorted({p.state.value if p.state else "none" for p in policies.value})
    print(json.dumps({"users": users, "user_pages": pages, "groups": groups, "ca_policies": len(policies.value), "ca_states": states}))


asyncio.run(main())
