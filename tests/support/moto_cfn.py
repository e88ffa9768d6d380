"""What moto's CloudFormation lacks for infra/template.yaml, built on moto's own backends.

moto's CloudFormation makes the resources it has a model for and skips the others; a GetAtt of a
skipped one fails the whole stack. The dashboard's HTTP API (AWS::ApiGatewayV2::Api) is such a
resource, and so is the Cloud Map namespace and service it finds the dashboard's task by: these
models create them in moto's own API Gateway v2 and Cloud Map backends, so the deploy script's
CloudFormation calls run against moto whole. Importing the module registers them.
"""

from __future__ import annotations

from typing import Any

from moto.apigatewayv2.models import apigatewayv2_backends
from moto.cloudformation import parsing
from moto.core.common_models import CloudFormationModel
from moto.servicediscovery.models import servicediscovery_backends


class HttpApi(CloudFormationModel):
    """AWS::ApiGatewayV2::Api as CloudFormation creates it: Ref is its id, GetAtt ApiEndpoint its URL."""

    def __init__(self, api: Any) -> None:
        self.api = api

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ApiGatewayV2::Api"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> HttpApi:
        props = cloudformation_json["Properties"]
        # Typed str in moto, yet an absent setting is None there (it answers "" back as a value).
        backend: Any = apigatewayv2_backends[account_id][region_name]
        api = backend.create_api(
            api_key_selection_expression="$request.header.x-api-key",
            cors_configuration=None,
            description=props.get("Description", ""),
            disable_schema_validation=None,
            disable_execute_api_endpoint=None,
            name=props["Name"],
            protocol_type=props["ProtocolType"],
            route_selection_expression="$request.method $request.path",
            tags={},
            version=None,
        )
        return cls(api)

    @property
    def physical_resource_id(self) -> str:
        return str(self.api.api_id)

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("ApiEndpoint", "ApiId")

    def get_cfn_attribute(self, attribute_name: str) -> str:
        return str(self.api.api_endpoint if attribute_name == "ApiEndpoint" else self.api.api_id)


class PrivateDnsNamespace(CloudFormationModel):
    """AWS::ServiceDiscovery::PrivateDnsNamespace: Ref is its id."""

    def __init__(self, namespace: Any) -> None:
        self.namespace = namespace

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ServiceDiscovery::PrivateDnsNamespace"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> PrivateDnsNamespace:
        props = cloudformation_json["Properties"]
        backend = servicediscovery_backends[account_id][region_name]
        backend.create_private_dns_namespace(
            name=props["Name"], creator_request_id="", description="", vpc=props["Vpc"], tags=[], properties={}
        )
        [namespace] = [n for n in backend.namespaces.values() if n.name == props["Name"]]
        return cls(namespace)

    @property
    def physical_resource_id(self) -> str:
        return str(self.namespace.id)


class DiscoveryService(CloudFormationModel):
    """AWS::ServiceDiscovery::Service: Ref is its id, GetAtt Arn its ARN."""

    def __init__(self, service: Any) -> None:
        self.service = service

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::ServiceDiscovery::Service"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @classmethod
    def create_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str, **kwargs: Any
    ) -> DiscoveryService:
        props = cloudformation_json["Properties"]
        service = servicediscovery_backends[account_id][region_name].create_service(
            name=props["Name"],
            namespace_id=props["NamespaceId"],
            creator_request_id="",
            description="",
            dns_config=props.get("DnsConfig", {}),
            health_check_config={},
            health_check_custom_config=props.get("HealthCheckCustomConfig", {}),
            tags=[],
            service_type="",
        )
        return cls(service)

    @property
    def physical_resource_id(self) -> str:
        return str(self.service.id)

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("Arn", "Id")

    def get_cfn_attribute(self, attribute_name: str) -> str:
        return str(self.service.arn if attribute_name == "Arn" else self.service.id)


# moto caches its model list on first use: let it see this one.
for cached in (parsing.get_model_list, parsing.get_model_map, parsing.get_name_type_map):
    cached.cache_clear()
