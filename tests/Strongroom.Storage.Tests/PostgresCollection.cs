using Xunit;

namespace Strongroom.Storage.Tests;

/// <summary>Test classes that share one throw-away PostgreSQL cluster.</summary>
[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "postgres-storage";
}
