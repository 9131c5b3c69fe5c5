// The reference app on Azure Container Apps: at least two replicas behind the ingress, sessions and
// last-known-good copies in Azure Cache for Redis, SECRET_KEY, the client secret, OPS_TOKEN and the
// Redis URL as Key Vault references, probes on /healthz and /readyz.
//
// The app's settings are environment variables named as in its settings table (sample_app/config.py
// SETTINGS, docs/reference-app.md): each parameter here is named after one (B2C_TENANT: b2cTenant), and
// infra/main.parameters.json reads it from the azd environment variable of that very name.
// Not compiled nor deployed where it was written (no Bicep compiler, no Azure account): see docs/deploy.md.
targetScope = 'resourceGroup'

@description('azd environment name: names the resources')
param environmentName string
param location string = resourceGroup().location
@description('the image azd deploy pushed (empty on the first provision: a placeholder until azd deploy)')
param webImage string = ''
@description('false: only the vault, the cache, the registry and the identity, so that the secrets can be set before the app first reads them')
param deployApp bool = true

// -- the app's settings (docs/reference-app.md#reference-app-settings) --
param b2cBaseUrl string = ''
param oidcAuthority string = ''
param b2cTenant string = ''
param b2cSignupSigninPolicy string = 'B2C_1A_signup_signin'
param b2cEditProfilePolicy string = 'B2C_1A_ProfileEdit'
param b2cResetPasswordPolicy string = 'B2C_1A_PasswordReset'
param b2cClientId string
param b2cApiScope string = ''
param b2cApiAudience string = ''
@description('the issuer the discovery document must name (recommended: pin it)')
param idpIssuer string = ''
@description('the public URL (a custom domain); empty: the ingress FQDN')
param appPublicUrl string = ''
@description('reverse proxies in front of the app: the Container Apps ingress is one; add one per proxy before it (Front Door, Application Gateway)')
param trustedProxies string = '1'
param opsAllowedNetworks string = '127.0.0.0/8,::1/128'

// -- scale --
param minReplicas string = '2'
param maxReplicas string = '10'
@description('one gunicorn worker per replica: each worker has its own metrics and breaker (docs/runbook.md)')
param webConcurrency string = '1'
param threads string = '8'

var token = toLower(uniqueString(subscription().id, resourceGroup().id, environmentName))
var appName = 'refapp-${take(token, 8)}'
var tags = { 'azd-env-name': environmentName }
var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'
var acrPull = '7f951dda-4ed3-4680-a7ca-43fe172d538d'

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-${token}'
  location: location
  tags: tags
}

resource logs 'Microsoft.OperationalInsights/workspaces@2022-10-01' = {
  name: 'log-${token}'
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
  }
}

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  name: 'cr${token}'
  location: location
  tags: tags
  sku: { name: 'Basic' }
  properties: { adminUserEnabled: false }
}

resource registryPull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: registry
  name: guid(registry.id, identity.id, acrPull)
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', acrPull)
  }
}

// Key Vault: secret-key, b2c-client-secret and ops-token are set once, out of band (docs/deploy.md);
// redis-url is written here from the cache's key (URL-encoded: the key's base64 may hold / and +). None of them is ever in this template or a parameter.
resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv-${token}'
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    enablePurgeProtection: true
  }
}

resource vaultRead 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: vault
  name: guid(vault.id, identity.id, keyVaultSecretsUser)
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
  }
}

// Standard: a replicated cache with an SLA (sessions and last-known-good copies live here)
resource redis 'Microsoft.Cache/redis@2023-08-01' = {
  name: 'redis-${token}'
  location: location
  tags: tags
  properties: {
    sku: { name: 'Standard', family: 'C', capacity: 1 }
    enableNonSslPort: false
    minimumTlsVersion: '1.2'
    redisConfiguration: { 'maxmemory-policy': 'noeviction' }
  }
}

resource redisUrl 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: 'redis-url'
  properties: {
    value: 'rediss://:${uriComponent(redis.listKeys().primaryKey)}@${redis.properties.hostName}:${redis.properties.sslPort}/0'
  }
}

resource environment 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: 'cae-${token}'
  location: location
  tags: tags
  properties: {
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: logs.properties.customerId
        sharedKey: logs.listKeys().primarySharedKey
      }
    }
  }
}

resource web 'Microsoft.App/containerApps@2024-03-01' = if (deployApp) {
  name: appName
  location: location
  tags: union(tags, { 'azd-service-name': 'web' })
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identity.id}': {} }
  }
  dependsOn: [registryPull, vaultRead]
  properties: {
    managedEnvironmentId: environment.id
    configuration: {
      activeRevisionsMode: 'Single'
      ingress: {
        external: true
        targetPort: 8000
        transport: 'auto'
        allowInsecure: false
      }
      registries: [
        { server: registry.properties.loginServer, identity: identity.id }
      ]
      secrets: [
        { name: 'secret-key', keyVaultUrl: '${vault.properties.vaultUri}secrets/secret-key', identity: identity.id }
        { name: 'b2c-client-secret', keyVaultUrl: '${vault.properties.vaultUri}secrets/b2c-client-secret', identity: identity.id }
        { name: 'ops-token', keyVaultUrl: '${vault.properties.vaultUri}secrets/ops-token', identity: identity.id }
        { name: 'redis-url', keyVaultUrl: '${vault.properties.vaultUri}secrets/redis-url', identity: identity.id }
      ]
    }
    template: {
      containers: [
        {
          name: 'web'
          image: empty(webImage) ? 'mcr.microsoft.com/azuredocs/containerapps-helloworld:latest' : webImage
          resources: { cpu: json('1.0'), memory: '2Gi' }
          env: [
            { name: 'SECRET_KEY', secretRef: 'secret-key' }
            { name: 'B2C_CLIENT_SECRET', secretRef: 'b2c-client-secret' }
            { name: 'OPS_TOKEN', secretRef: 'ops-token' }
            { name: 'REDIS_URL', secretRef: 'redis-url' }
            { name: 'B2C_BASE_URL', value: b2cBaseUrl }
            { name: 'OIDC_AUTHORITY', value: oidcAuthority }
            { name: 'B2C_TENANT', value: b2cTenant }
            { name: 'B2C_SIGNUP_SIGNIN_POLICY', value: b2cSignupSigninPolicy }
            { name: 'B2C_EDIT_PROFILE_POLICY', value: b2cEditProfilePolicy }
            { name: 'B2C_RESET_PASSWORD_POLICY', value: b2cResetPasswordPolicy }
            { name: 'B2C_CLIENT_ID', value: b2cClientId }
            { name: 'B2C_API_SCOPE', value: b2cApiScope }
            { name: 'B2C_API_AUDIENCE', value: b2cApiAudience }
            { name: 'IDP_ISSUER', value: idpIssuer }
            { name: 'APP_PUBLIC_URL', value: empty(appPublicUrl) ? 'https://${appName}.${environment.properties.defaultDomain}' : appPublicUrl }
            { name: 'TRUSTED_PROXIES', value: trustedProxies }
            { name: 'OPS_ALLOWED_NETWORKS', value: opsAllowedNetworks }
            { name: 'WEB_CONCURRENCY', value: webConcurrency }
            { name: 'THREADS', value: threads }
          ]
          probes: [
            {
              type: 'Startup'
              httpGet: { path: '/healthz', port: 8000 }
              periodSeconds: 2
              failureThreshold: 30
            }
            {
              type: 'Liveness'
              httpGet: { path: '/healthz', port: 8000 }
              periodSeconds: 10
              failureThreshold: 3
            }
            {
              type: 'Readiness'
              httpGet: { path: '/readyz', port: 8000 }
              periodSeconds: 5
              failureThreshold: 2
            }
          ]
          volumeMounts: [
            { volumeName: 'state', mountPath: '/app/instance' }
          ]
        }
      ]
      // each replica's own disk; what replicas share is in Redis
      volumes: [
        { name: 'state', storageType: 'EmptyDir' }
      ]
      scale: {
        minReplicas: int(minReplicas)
        maxReplicas: int(maxReplicas)
        rules: [
          { name: 'http', http: { metadata: { concurrentRequests: '50' } } }
        ]
      }
    }
  }
}

output AZURE_CONTAINER_REGISTRY_ENDPOINT string = registry.properties.loginServer
output AZURE_KEY_VAULT_NAME string = vault.name
output SERVICE_WEB_NAME string = deployApp ? web.name : ''
output SERVICE_WEB_URI string = deployApp ? 'https://${web.properties.configuration.ingress.fqdn}' : ''
