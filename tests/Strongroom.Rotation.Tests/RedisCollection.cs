using Xunit;

namespace Strongroom.Rotation.Tests;

/// <summary>The tests that share one <see cref="RedisServer"/>.</summary>
[CollectionDefinition("redis")]
public sealed class RedisCollection : ICollectionFixture<RedisServer>;
